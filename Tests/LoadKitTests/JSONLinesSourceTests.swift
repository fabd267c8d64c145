import Foundation
import LoadKit
import LoadKitTesting
import Testing

@Suite struct JSONLinesSourceTests {
    static let schema = try! TableSchema([
        Column("id", .integer), Column("carrier", .text, nullTokens: []), Column("dep_delay", .real),
        Column("cancelled", .boolean), Column("day", .date), Column("at", .timestamp), Column("meta", .text),
    ])
    static let options = SourceOptions(nullTokens: ["NA"], timeZone: newYork)

    @Test("Keys fill columns, missing keys are NULL, nested values are sorted JSON text, LF or CRLF",
          arguments: ["flights.jsonl", "flights_crlf.jsonl"])
    func flights(file: String) throws {
        let source = try SourceFormat.jsonl.open(Fixture.path("jsonl/\(file)"), schema: Self.schema,
                                                 options: Self.options, displayName: file)
        var rows: [[Value]] = []
        var lines: [Int] = []
        var row: [Value] = []
        while try source.next(into: &row) {
            rows.append(row)
            lines.append(source.line)
        }
        #expect(rows == [
            [.integer(1), .text("UA"), .real(2.5), .integer(0), .text("2013-01-01"),
             .text("2013-01-01T05:00:00Z"), .text(#"{"a":[1,"x/y",null],"b":2}"#)],
            [.integer(2), .text("NA"), .null, .integer(1), .text("2013-01-02"),
             .text("2013-01-02T11:00:00Z"), .null],
            [.integer(3), .text("AA"), .real(-3), .integer(1), .null, .null, .text(#"[{"y":true,"z":1}]"#)],
            [.integer(4), .text(""), .real(100), .integer(1), .null, .text("2013-11-03T06:30:00Z"),
             .text("plain")],
        ])
        #expect(lines == [1, 2, 4, 6])
        #expect(source.fileName == file)
    }

    @Test("Numbers, booleans and strings convert into typed columns")
    func scalars() throws {
        #expect(try readRows(Fixture.path("jsonl/scalars.jsonl"), format: .jsonl, schema: Schemas.corpus) == [
            [.integer(1), .text("7"), .real(7), .integer(0), .null, .null],
            [.integer(2), .text("1.5"), .real(-0.25), .integer(0), .null, .null],
            [.integer(3), .text("true"), .real(0.001), .integer(0), .null, .null],
            [.integer(4), .text("café é\n"), .real(3.5), .integer(1), .null, .null],
        ])
    }

    @Test("An undeclared key is an error, or is dropped with ignoreExtraColumns")
    func extraKeys() throws {
        let path = Fixture.path("jsonl/extra_keys.jsonl")
        let error = loadKitError {
            _ = try readRows(path, format: .jsonl, schema: Schemas.corpus, displayName: "extra_keys.jsonl")
        }
        #expect(error?.code == .unknownColumn)
        #expect(error?.description == "extra_keys.jsonl, line 1, column gate: key 'gate' is not declared in "
            + "the table's columns; declare it, or set ignore_extra_columns: true to drop it")

        let rows = try readRows(path, format: .jsonl, schema: Schemas.corpus,
                                options: SourceOptions(ignoreExtraColumns: true))
        #expect(rows == [
            [.integer(1), .text("JFK"), .null, .null, .null, .null],
            [.integer(2), .text("LGA"), .null, .null, .null, .null],
        ])
    }

    @Test("An empty file and a file of blank lines give zero rows", arguments: ["", "\n \r\n\t\n"])
    func noRows(contents: String) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("empty.jsonl", contents)
        #expect(try readRows(path, format: .jsonl, schema: Schemas.corpus).isEmpty)
    }

    @Test("A UTF-8 byte-order mark before the first object is accepted")
    func byteOrderMark() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bom.jsonl", "\u{FEFF}{\"id\":1,\"name\":\"JFK\"}\n{\"id\":2}\n")
        #expect(try readRows(path, format: .jsonl, schema: Schemas.corpus) == [
            [.integer(1), .text("JFK"), .null, .null, .null, .null],
            [.integer(2), .null, .null, .null, .null, .null],
        ])
    }

    @Test("A .jsonl.gz file is decompressed transparently")
    func gzipInput() throws {
        let gz = Fixture.path("jsonl/flights.jsonl.gz")
        #expect(SourceFormat.inferred(fromPath: gz) == .jsonl)
        let rows = try readRows(gz, format: .jsonl, schema: Self.schema, options: Self.options)
        let plain = try readRows(Fixture.path("jsonl/flights.jsonl"), format: .jsonl, schema: Self.schema,
                                 options: Self.options)
        #expect(rows == plain)
        #expect(rows.count == 4)
    }
}
