import Foundation
import LoadKit
import LoadKitTesting
import Testing

@Suite struct CSVSourceTests {
    static let countries = try! TableSchema([
        Column("code", .text, nullTokens: []),      // "NA" is Namibia here
        Column("country", .text),
        Column("population", .integer),
        Column("capital", .text),
        Column("area", .real, nullTokens: ["-"]),
    ])

    @Test("Columns are matched by header name in any order and typed")
    func reorderedHeader() throws {
        let rows = try readRows(Fixture.path("csv/reordered.csv"), schema: Schemas.corpus,
                                options: SourceOptions(nullTokens: ["NA"], timeZone: newYork))
        #expect(rows == [
            [.integer(1), .text("JFK"), .real(2.5), .integer(1), .text("2013-01-01"),
             .text("2013-01-01T05:00:00Z")],
            [.integer(2), .text("LGA"), .null, .integer(0), .text("2013-07-01"),
             .text("2013-07-01T12:30:00Z")],
        ])
    }

    @Test("Null tokens apply per table and per column; quoted tokens and quoted empty fields are text")
    func nullTokens() throws {
        let rows = try readRows(Fixture.path("csv/countries.csv"), schema: Self.countries,
                                options: SourceOptions(nullTokens: ["NA"]))
        #expect(rows == [
            [.text("NA"), .text("Namibia"), .null, .text("Windhoek"), .null],
            [.text("NO"), .text("Norway"), .integer(5_425_270), .text("NA"), .real(385_207)],
            [.null, .text("Unknown"), .null, .text(""), .null],
        ])
    }

    @Test("next(into:) fills the first columns of a longer row and leaves its later slots (CSV and JSON Lines)",
          arguments: [SourceFormat.csv, .jsonl])
    func longerRow(format: SourceFormat) throws {
        let dir = try TemporaryDirectory()
        let schema = try TableSchema([Column("id", .integer), Column("name", .text)])
        let path = dir.path("in")
        try (format == .csv ? "id,name\n1,a\n2,b\n" : "{\"id\": 1, \"name\": \"a\"}\n{\"id\": 2, \"name\": \"b\"}\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let source = try format.open(path, schema: schema, options: SourceOptions())
        var row: [Value] = [.null, .null, .text("kept")]
        #expect(try source.next(into: &row))
        #expect(row == [.integer(1), .text("a"), .text("kept")])
        #expect(try source.next(into: &row))
        #expect(row == [.integer(2), .text("b"), .text("kept")])
        #expect(try !source.next(into: &row))
        var short: [Value] = []
        let again = try format.open(path, schema: schema, options: SourceOptions())
        #expect(try again.next(into: &short))
        #expect(short == [.integer(1), .text("a")])
    }

    @Test("A column's own null tokens replace the table's")
    func columnTokensReplaceTableTokens() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("c.csv", "code,country,population,capital,area\nNA,Namibia,NA,Windhoek,NA\n")
        let error = loadKitError {
            _ = try readRows(path, schema: Self.countries, options: SourceOptions(nullTokens: ["NA"]),
                             displayName: "c.csv")
        }
        #expect(error?.description == "c.csv, line 2, column area: 'NA' is not a real number")
    }

    @Test("An unquoted empty field is NULL in every type; a quoted empty field is the empty string",
          arguments: [
        (.text, nil),
        (.integer, "'' is not an integer"),
        (.real, "'' is not a real number"),
        (.boolean, "'' is not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)"),
        (.date, "'' is not a valid date (YYYY-MM-DD)"),
        (.timestamp, "'' is not a valid timestamp "
            + "(ISO 8601, for example 2013-01-01T05:00:00Z or 2013-01-01 00:00:00)"),
    ] as [(ColumnType, String?)])
    func emptyFields(type: ColumnType, quotedEmptyError: String?) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("e.csv", "id,v\n1,\n2,\"\"\n")
        let schema = try TableSchema([Column("id", .integer), Column("v", type)])
        let source = try SourceFormat.csv.open(path, schema: schema, options: SourceOptions(),
                                               displayName: "e.csv")
        var row: [Value] = []
        #expect(try source.next(into: &row))
        #expect(row == [.integer(1), .null])
        if let quotedEmptyError {
            let error = loadKitError { _ = try source.next(into: &row) }
            #expect(error?.description == "e.csv, line 3, column v: \(quotedEmptyError)")
        } else {
            #expect(try source.next(into: &row))
            #expect(row == [.integer(2), .text("")])
        }
    }

    @Test("A header-only file gives zero rows")
    func headerOnly() throws {
        #expect(try readRows(Fixture.path("csv/header_only.csv"), schema: Schemas.corpus).isEmpty)
    }

    @Test("An empty file is an error: there is no header")
    func emptyFile() {
        let error = loadKitError {
            _ = try readRows(Fixture.path("csv/malformed/empty.csv"), schema: Schemas.corpus,
                             displayName: "empty.csv")
        }
        #expect(error?.code == .noHeader)
        #expect(error?.description == "empty.csv, line 1: no header: the file is empty")
    }

    @Test("A declared column missing from the header is an error")
    func missingColumn() {
        let error = loadKitError {
            _ = try readRows(Fixture.path("csv/malformed/missing_column.csv"), schema: Schemas.corpus,
                             displayName: "missing_column.csv")
        }
        #expect(error?.code == .missingColumn)
        #expect(error?.description == "missing_column.csv, line 1, column ok: declared column 'ok' is "
            + "missing from the header; the header has: id, name, dep_delay, day, at")
    }

    @Test("An undeclared column is an error, or is dropped with ignoreExtraColumns")
    func extraColumn() throws {
        let path = Fixture.path("csv/malformed/undeclared_column.csv")
        let error = loadKitError {
            _ = try readRows(path, schema: Schemas.corpus, displayName: "undeclared_column.csv")
        }
        #expect(error?.code == .unknownColumn)
        #expect(error?.description == "undeclared_column.csv, line 1, column gate: input column 'gate' is "
            + "not declared in the table's columns; declare it, or set ignore_extra_columns: true to drop it")

        let rows = try readRows(path, schema: Schemas.corpus, options: SourceOptions(ignoreExtraColumns: true))
        #expect(rows == [[.integer(1), .text("JFK"), .real(2.5), .integer(1), .text("2013-01-01"),
                          .text("2013-01-01T05:00:00Z")]])
    }

    @Test("The dialect in the options is used for typed rows")
    func dialectOption() throws {
        let schema = try TableSchema([Column("id", .integer), Column("name", .text), Column("amount", .text)])
        let options = SourceOptions(csv: try CSVDialect(delimiter: ";"))
        #expect(try readRows(Fixture.path("csv/semicolon.csv"), schema: schema, options: options) == [
            [.integer(1), .text("Oslo, Norway"), .text("3;5")],
            [.integer(2), .text("Rome; Italy"), .text("7")],
        ])
    }

    @Test("A .gz file is decompressed transparently")
    func gzipInput() throws {
        let options = SourceOptions(nullTokens: ["NA"], timeZone: newYork)
        let gz = try readRows(Fixture.path("csv/flights_sample.csv.gz"), schema: Schemas.flights,
                              options: options)
        let plain = try readRows(packageRoot + "/Examples/flights/data/flights-2013-01-01.csv",
                                 schema: Schemas.flights, options: options)
        #expect(gz.count == 19)
        #expect(gz == Array(plain.prefix(19)))
        #expect(gz.first == [
            .integer(2013), .integer(1), .integer(1), .integer(517), .integer(515), .real(2),
            .integer(830), .integer(819), .real(11), .text("UA"), .integer(1545), .text("N14228"),
            .text("EWR"), .text("IAH"), .real(227), .real(1400), .integer(5), .integer(15),
            .text("2013-01-01T10:00:00Z"),
        ])
    }

    /// Cut inside the gzip header, inside the deflate data, and inside the CRC/size trailer.
    @Test("A truncated .gz file is an I/O error", arguments: [12, 354, 704])
    func truncatedGzip(keptBytes: Int) throws {
        let dir = try TemporaryDirectory()
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixture.path("csv/flights_sample.csv.gz")))
        #expect(whole.count == 708)
        let path = try dir.write("cut.csv.gz", whole.prefix(keptBytes))
        let error = loadKitError {
            _ = try readRows(path, schema: Schemas.flights, options: SourceOptions(nullTokens: ["NA"]),
                             displayName: "cut.csv.gz")
        }
        #expect(error?.code == .io)
        #expect(error?.isTransient == false)
        #expect(error?.description == "cut.csv.gz: gzip data is corrupt or truncated: unexpected end of file")
    }

    @Test("A missing file is an I/O error naming the file")
    func missingFile() throws {
        let dir = try TemporaryDirectory()
        let error = loadKitError {
            _ = try readRows(dir.path("nope.csv"), schema: Schemas.corpus, displayName: "nope.csv")
        }
        #expect(error?.code == .io)
        #expect(error?.description == "nope.csv: cannot open: No such file or directory")
    }

    @Test("An invalid UTF-8 byte's offset counts the quote and the doubled quotes before it")
    func byteOffsetInQuotedField() throws {
        let dir = try TemporaryDirectory()
        // Offsets: header 0...7, "1" 8, "," 9, opening quote 10, a 11, "" 12...13, b 14, "" 15...16,
        // c 17, 0xFF 18.
        let path = try dir.write("q.csv", Data(Array("id,name\n1,\"a\"\"b\"\"c".utf8) + [0xFF, 0x22, 0x0A]))
        let schema = try TableSchema([Column("id", .integer), Column("name", .text)])
        let error = loadKitError { _ = try readRows(path, schema: schema, displayName: "q.csv") }
        #expect(error?.description
            == "q.csv, line 2, column name (byte offset 18): invalid UTF-8 (the file must be UTF-8 encoded)")
    }

    @Test("An invalid UTF-8 byte in a quoted header name is reported at its own offset")
    func byteOffsetInQuotedHeader() throws {
        let dir = try TemporaryDirectory()
        // Offsets: "id" 0...1, "," 2, opening quote 3, "n" 4, 0xFF 5.
        let path = try dir.write("h.csv", Data(Array("id,\"n".utf8) + [0xFF, 0x22, 0x0A]))
        let error = loadKitError { _ = try readRows(path, schema: Schemas.corpus, displayName: "h.csv") }
        #expect(error?.description == "h.csv, line 1, column 2 (byte offset 5): invalid UTF-8 in the header")
    }

    @Test("The source reports the line each row starts on, after multi-line fields too")
    func rowLines() throws {
        let schema = try TableSchema([Column("id", .integer), Column("city", .text), Column("note", .text)])
        let source = try SourceFormat.csv.open(Fixture.path("csv/line_endings_crlf.csv"), schema: schema,
                                               options: SourceOptions())
        #expect(source.fileName.hasSuffix("/Fixtures/csv/line_endings_crlf.csv"))
        var row: [Value] = []
        var lines: [Int] = []
        while try source.next(into: &row) { lines.append(source.line) }
        #expect(lines == [2, 3, 6])
        #expect(row == [.integer(3), .text("say \"hi\""), .null])
    }
}
