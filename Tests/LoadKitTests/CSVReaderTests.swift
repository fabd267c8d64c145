import Foundation
import LoadKit
import LoadKitTesting
import Testing

@Suite struct CSVReaderTests {
    /// The three line-ending fixtures hold the same records; `newline` is the file's line break.
    static let endingFixtures: [(file: String, newline: String)] = [
        ("line_endings_lf.csv", "\n"), ("line_endings_crlf.csv", "\r\n"), ("line_endings_cr.csv", "\r"),
    ]

    @Test("LF, CRLF and CR files give the same records; a quoted newline is kept byte-exact",
          arguments: endingFixtures)
    func lineEndings(file: String, newline: String) throws {
        let reader = try csvReader(Fixture.path("csv/\(file)"))
        #expect(reader.header == ["id", "city", "note"])
        var records: [[String]] = []
        var lines: [Int] = []
        var quoted: [[Bool]] = []
        while try reader.next() {
            records.append((0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) })
            lines.append(reader.recordLine)
            quoted.append((0..<reader.fieldCount).map { reader.isQuoted($0) })
        }
        #expect(records == [
            ["1", "Oslo", "plain"],
            ["2", "Rome, Italy", "two\(newline)lines"],
            ["3", "say \"hi\"", ""],
        ])
        #expect(lines == [2, 3, 6])
        #expect(quoted == [[false, false, false], [false, true, true], [false, true, false]])
    }

    @Test("Records are the same whatever the size of the source's reads",
          arguments: endingFixtures.map(\.file), [1, 2, 3, 7])
    func chunkBoundaries(file: String, chunk: Int) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.path("csv/\(file)"))))
        let whole = try readRecords(csvReader(Fixture.path("csv/\(file)")))
        let reader = try CSVReader(source: ChunkedByteSource(bytes, chunk: chunk), fileName: file)
        #expect(reader.header == ["id", "city", "note"])
        #expect(try readRecords(reader) == whole)
        #expect(whole.count == 3)
    }

    @Test("A configurable delimiter splits fields; the other separators are data",
          arguments: [("semicolon.csv", ";" as Character), ("tab.tsv", "\t")])
    func delimiter(file: String, delimiter: Character) throws {
        let reader = try csvReader(Fixture.path("csv/\(file)"), dialect: CSVDialect(delimiter: delimiter))
        #expect(reader.header == ["id", "name", "amount"])
        #expect(try readRecords(reader) == [
            ["1", "Oslo, Norway", "3\(delimiter)5"],
            ["2", "Rome; Italy", "7"],
        ])
    }

    @Test("A configurable quote character quotes fields; a double quote is then plain data")
    func singleQuote() throws {
        let reader = try csvReader(Fixture.path("csv/single_quote.csv"), dialect: CSVDialect(quote: "'"))
        #expect(try readRecords(reader) == [
            ["1", "O'Hare, Chicago"],
            ["2", "\"quoted?\""],
            ["3", "two\nlines"],
        ])
    }

    @Test("Quoted fields hold delimiters, doubled quotes and newlines; a quote inside an unquoted field is data")
    func quotedFields() throws {
        let reader = try csvReader(Fixture.path("csv/quoted.csv"))
        var records: [[String]] = []
        var lines: [Int] = []
        while try reader.next() {
            records.append((0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) })
            lines.append(reader.recordLine)
        }
        #expect(records == [
            ["1", "a,b,c"],
            ["2", "She said \"no\""],
            ["3", "first\nsecond\n\nfourth"],
            ["4", "a\"b"],
            ["5", "\""],
            ["6", "x"],
        ])
        #expect(lines == [2, 3, 4, 8, 9, 10])
    }

    @Test("A UTF-8 byte-order mark is skipped, even when it arrives one byte at a time", arguments: [1, 1 << 20])
    func byteOrderMark(chunk: Int) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.path("csv/bom.csv"))))
        #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
        let reader = try CSVReader(source: ChunkedByteSource(bytes, chunk: chunk), fileName: "bom.csv")
        #expect(reader.header == ["id", "name"])
        #expect(try readRecords(reader) == [["1", "Oslo"]])
    }

    @Test("Blank lines are skipped, before the header too, and line numbers still count them")
    func blankLines() throws {
        let reader = try csvReader(Fixture.path("csv/blank_lines.csv"))
        #expect(reader.header == ["id", "name"])
        #expect(reader.recordLine == 2)
        var lines: [Int] = []
        var records: [[String]] = []
        while try reader.next() {
            records.append((0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) })
            lines.append(reader.recordLine)
        }
        #expect(records == [["1", "a"], ["2", "b"]])
        #expect(lines == [4, 7])
    }

    @Test("A header-only file has no records")
    func headerOnly() throws {
        let reader = try csvReader(Fixture.path("csv/header_only.csv"))
        #expect(reader.header == ["id", "name", "dep_delay", "ok", "day", "at"])
        #expect(try reader.next() == false)
        #expect(try reader.next() == false)
    }

    @Test("The last record needs no line break; a delimiter before the end adds an empty field")
    func endOfInput() throws {
        let dir = try TemporaryDirectory()
        let reader = try csvReader(dir.write("end.csv", "a,b,c\n1,\"x\",3\n4,5,"))
        #expect(try readRecords(reader) == [["1", "x", "3"], ["4", "5", ""]])
    }

    @Test("A field of at least 16 MiB is read whole and byte-exact, and later lines stay right")
    func largeField() throws {
        let dir = try TemporaryDirectory()
        let piece = Array("a,b \"\"q\"\" c\r\n0123456789".utf8)   // one CRLF each
        let expectedPiece = Array("a,b \"q\" c\r\n0123456789".utf8)
        let repeats = (16 << 20) / expectedPiece.count + 1
        var file = Array("id,big\n1,\"".utf8)
        file.reserveCapacity(repeats * piece.count + 64)
        for _ in 0..<repeats { file += piece }
        file += Array("\"\n2,\"x\"y\n".utf8)
        let path = try dir.write("big.csv", Data(file))

        let reader = try csvReader(path)
        #expect(try reader.next())
        let field = [UInt8](reader.field(1))
        #expect(field.count == repeats * expectedPiece.count)
        #expect(field.count >= 16 << 20)
        #expect(field == Array([[UInt8]](repeating: expectedPiece, count: repeats).joined()))
        let error = loadKitError { _ = try reader.next() }
        #expect(error?.description == "big.csv, line \(2 + repeats + 1), column 2: unexpected 'y' after the "
            + "closing quote of a quoted field; a quote inside a quoted field must be doubled (\"\")")
    }

    @Test("A field larger than the dialect's limit is an error at the line where it starts")
    func fieldTooLarge() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("long.csv", "id,name\n1,\"12345678\"\n2,\"123\n456789\"\n")
        let reader = try csvReader(path, dialect: CSVDialect(maxFieldBytes: 8))
        #expect(try reader.next())
        #expect(String(decoding: reader.field(1), as: UTF8.self) == "12345678")
        let error = loadKitError { _ = try reader.next() }
        #expect(error?.code == .fieldTooLarge)
        #expect(error?.description
            == "long.csv, line 3, column 2: a field is larger than 8 bytes (is a closing quote missing?)")
    }

    @Test("Field offsets count the byte-order mark and point at a quoted field's quote")
    func fieldOffsets() throws {
        let bytes = Array("\u{FEFF}a,b\r\n1,\"x\"\r\n".utf8)
        let reader = try CSVReader(source: ChunkedByteSource(bytes, chunk: 2), fileName: "o.csv")
        #expect(try reader.next())
        #expect(reader.fieldOffset(0) == 8)
        #expect(reader.fieldOffset(1) == 10)
        #expect(reader.fieldLine(1) == 2)
    }

    @Test("A dialect refuses a non-ASCII, line-break or repeated delimiter and quote",
          arguments: [("é" as Character, "\"" as Character), (",", "\n"), ("\r", "\""), (";", ";")])
    func badDialect(delimiter: Character, quote: Character) {
        let error = loadKitError { _ = try CSVDialect(delimiter: delimiter, quote: quote) }
        #expect(error?.code == .schema)
        let expected = delimiter.isASCII && quote.isASCII
            ? "the CSV delimiter and quote must differ and must not be line breaks"
            : "the CSV delimiter and quote must be single ASCII characters"
        #expect(error?.description == expected)
    }
}
