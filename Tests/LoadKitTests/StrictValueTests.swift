import Foundation
import LoadKit
import LoadKitTesting
import Testing

/// Bad values are refused with file, line and column: non-finite reals in CSV and JSON Lines,
/// and JSON that Foundation's decoder would accept or mangle (issue 9, point 9).
@Suite struct StrictValueTests {
    static let schema = try! TableSchema([
        Column("id", .integer), Column("r", .real), Column("t", .text), Column("b", .boolean),
    ])

    /// What a refusal must say: the code, the line, the column (`nil`: none) and a fact.
    struct Refusal: Sendable, CustomStringConvertible {
        var input: String
        var code: LoadKitError.Code
        var column: String?
        var reason: String
        var description: String { input }
    }

    /// Reads `contents` as `file` and checks the error against `expected`, found on `line`.
    func expectRefused(_ file: String, _ contents: String, format: SourceFormat, line: Int = 2,
                       _ expected: Refusal, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(file, contents)
        let error = try #require(loadKitError(sourceLocation: sourceLocation) {
            _ = try readRows(path, format: format, schema: Self.schema, displayName: file)
        }, sourceLocation: sourceLocation)
        #expect(error.code == expected.code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.location.file == file, sourceLocation: sourceLocation)
        #expect(error.location.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.location.column == expected.column, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(expected.reason), "\(error)", sourceLocation: sourceLocation)
        for leak in ["DecodingError", "dataCorrupted", "NSDebugDescription", "typeMismatch"] {
            #expect(!error.description.contains(leak), "\(error)", sourceLocation: sourceLocation)
        }
    }

    /// The rows of a JSON Lines file holding `lines`.
    func jsonRows(_ lines: [String]) throws -> [[Value]] {
        let dir = try TemporaryDirectory()
        let path = try dir.write("ok.jsonl", lines.joined(separator: "\n") + "\n")
        return try readRows(path, format: .jsonl, schema: Self.schema)
    }

    // MARK: - CSV

    @Test("A real column in CSV refuses numbers beyond the double range, infinities and NaN", arguments: [
        ("1e400", "'1e400' is out of the range of a real (64-bit float)"),
        ("-1e400", "'-1e400' is out of the range of a real (64-bit float)"),
        ("1.8e308", "'1.8e308' is out of the range of a real (64-bit float)"),
        ("inf", "'inf' is not a real number (a real column holds finite numbers only)"),
        ("-inf", "'-inf' is not a real number (a real column holds finite numbers only)"),
        ("Infinity", "'Infinity' is not a real number (a real column holds finite numbers only)"),
        ("NaN", "'NaN' is not a real number (a real column holds finite numbers only)"),
        ("nan", "'nan' is not a real number (a real column holds finite numbers only)"),
    ])
    func csvNonFiniteReal(text: String, reason: String) throws {
        try expectRefused("bad.csv", "id,r,t,b\n1,2.5,x,true\n2,\(text),y,false\n", format: .csv, line: 3,
                          Refusal(input: text, code: .invalidValue, column: "r", reason: reason))
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.csv", "id,r,t,b\n1,2.5,x,true\n2,\(text),y,false\n")
        let error = loadKitError { _ = try readRows(path, schema: Self.schema, displayName: "bad.csv") }
        #expect(error?.description == "bad.csv, line 3, column r: \(reason)")
    }

    @Test("CSV integer columns still refuse exponents and fractions plainly", arguments: [
        ("1e3", "'1e3' is not an integer"),
        ("1.0", "'1.0' is not an integer"),
        ("12345678901234567890123", "'12345678901234567890123' is not an integer (or is out of the 64-bit range)"),
    ])
    func csvIntegerForms(text: String, reason: String) throws {
        try expectRefused("bad.csv", "id,r,t,b\n1,2.5,x,true\n\(text),1,y,false\n", format: .csv, line: 3,
                          Refusal(input: text, code: .invalidValue, column: "id", reason: reason))
    }

    @Test("The largest finite doubles and values that round to zero are still reals")
    func csvFiniteExtremes() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("ok.csv", "id,r,t,b\n1,1.7976931348623157e308,x,1\n2,-1e-400,y,0\n")
        #expect(try readRows(path, schema: Self.schema) == [
            [.integer(1), .real(1.7976931348623157e308), .text("x"), .integer(1)],
            [.integer(2), .real(-0.0), .text("y"), .integer(0)],
        ])
    }

    // MARK: - JSON Lines syntax

    static let jsonSyntax: [Refusal] = [
        Refusal(input: #"{"id":2,}"#, code: .badJSON, column: nil, reason: "trailing comma before '}'"),
        Refusal(input: #"{"id":2,"t":[1,2,]}"#, code: .badJSON, column: "t", reason: "trailing comma before ']'"),
        Refusal(input: #"{"id":2,"t":{"a":1,}}"#, code: .badJSON, column: "t", reason: "trailing comma before '}'"),
        Refusal(input: #"{"id":2,"id":3}"#, code: .badJSON, column: "id", reason: "duplicate key 'id'"),
        Refusal(input: #"{"id":2,"\u0069d":3}"#, code: .badJSON, column: "id", reason: "duplicate key 'id'"),
        Refusal(input: #"{"id":2,"t":{"a":1,"a":2}}"#, code: .badJSON, column: "t",
                reason: "duplicate key 'a' in a nested object"),
        Refusal(input: #"{"id":2,"t":"x\ud800"}"#, code: .badJSON, column: "t",
                reason: #"lone UTF-16 surrogate \ud800 in a string"#),
        Refusal(input: #"{"id":2,"t":"\udc00"}"#, code: .badJSON, column: "t",
                reason: #"lone UTF-16 surrogate \udc00 in a string"#),
        Refusal(input: #"{"id":2,"t":"\ud83dx"}"#, code: .badJSON, column: "t",
                reason: #"lone UTF-16 surrogate \ud83d in a string"#),
        Refusal(input: #"{"id":2,"t":"\ud83d\u0041"}"#, code: .badJSON, column: "t",
                reason: #"lone UTF-16 surrogate \ud83d in a string"#),
        Refusal(input: #"{"id":2,"t":"\ude00\ud83d"}"#, code: .badJSON, column: "t",
                reason: #"lone UTF-16 surrogate \ude00 in a string"#),
        Refusal(input: #"{"id":2,"r":NaN}"#, code: .badJSON, column: "r",
                reason: "expected a value, found 'NaN' (JSON has no NaN or Infinity)"),
        Refusal(input: #"{"id":2,"r":-Infinity}"#, code: .badJSON, column: "r",
                reason: "expected a value, found '-Infinity' (JSON has no NaN or Infinity)"),
        Refusal(input: #"{"id":02}"#, code: .badJSON, column: "id",
                reason: "invalid number '02': a number cannot start with 0 unless it is 0"),
        Refusal(input: #"{"id":2,"r":1.}"#, code: .badJSON, column: "r", reason: "invalid number '1.': a digit must follow '.'"),
        Refusal(input: "{\"id\":2,\"t\":\"a\tb\"}", code: .badJSON, column: "t",
                reason: "control character U+0009 in a string"),
        Refusal(input: #"{"id":2,"t":"\x"}"#, code: .badJSON, column: "t", reason: #"invalid escape '\x' in a string"#),
        Refusal(input: #"{"id":2,"t":"\u12g4"}"#, code: .badJSON, column: "t",
                reason: #"invalid escape '\u12' in a string (\u takes four hex digits)"#),
        Refusal(input: #"{"id":2,"t":tru}"#, code: .badJSON, column: "t", reason: "expected a value, found 'tru'"),
        Refusal(input: #"{"id":2} {"id":3}"#, code: .badJSON, column: nil,
                reason: "expected the end of the line after the JSON value (one value per line), found '{'"),
        Refusal(input: #"{"id":2,"t":[1 2]}"#, code: .badJSON, column: "t",
                reason: "expected ',' or ']' after an array element, found '2'"),
        Refusal(input: "\u{FEFF}{\"id\":2,\"t\":\"\u{FEFF}\"}", code: .badJSON, column: nil,
                reason: "expected a value, found a byte-order mark (U+FEFF; allowed only at the start of the file)"),
    ]

    @Test("JSON that is not strict RFC 8259 is refused with line, key and a plain reason", arguments: jsonSyntax)
    func jsonSyntaxRefused(_ refusal: Refusal) throws {
        try expectRefused("bad.jsonl", "{\"id\":1,\"r\":2.5}\n\(refusal.input)\n{\"id\":3}\n", format: .jsonl, refusal)
    }

    @Test("A syntax error gives the byte offset of the fault in the file")
    func jsonByteOffset() throws {
        let dir = try TemporaryDirectory()
        // Line 1 is 16 bytes and its LF; the second "id" starts 8 bytes into line 2.
        let first = #"{"id":1,"r":2.5}"#
        #expect(first.utf8.count == 16)
        let path = try dir.write("dup.jsonl", first + "\n" + #"{"id":2,"id":3}"# + "\n")
        let error = loadKitError { _ = try readRows(path, format: .jsonl, schema: Self.schema, displayName: "dup.jsonl") }
        #expect(error?.location.byteOffset == 17 + 8)
        #expect(error?.description == "dup.jsonl, line 2, column id (byte offset 25): not valid JSON: duplicate key 'id'")
    }

    @Test("Nesting deeper than 512 levels is refused; 512 levels are read")
    func jsonDepth() throws {
        // The top-level object is level 1, so 511 arrays inside it make 512 levels.
        let ok = "{\"t\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}"
        let rows = try jsonRows([ok])
        #expect(rows == [[.null, .null, .text(String(repeating: "[", count: 511) + String(repeating: "]", count: 511)), .null]])

        let deep = "{\"t\":" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}"
        try expectRefused("deep.jsonl", "{\"id\":1}\n\(deep)\n", format: .jsonl,
                          Refusal(input: "deep", code: .badJSON, column: "t",
                                  reason: "arrays and objects are nested deeper than 512 levels"))
        // Far deeper than any stack would allow without the limit.
        let hostile = "{\"t\":" + String(repeating: "[", count: 200_000) + "}"
        try expectRefused("hostile.jsonl", "{\"id\":1}\n\(hostile)\n", format: .jsonl,
                          Refusal(input: "hostile", code: .badJSON, column: "t",
                                  reason: "arrays and objects are nested deeper than 512 levels"))
    }

    @Test("A valid surrogate pair is one character; other escapes decode")
    func jsonSurrogatePair() throws {
        let rows = try jsonRows([
            #"{"t":"\ud83d\ude00"}"#, #"{"t":"\uD83D\uDE00!"}"#,
            #"{"t":"\"\\\/\b\f\n\r\t\u00e9\u0000"}"#, #"{"t":"😀 é"}"#,
        ])
        #expect(rows.map { $0[2] } == [.text("😀"), .text("😀!"), .text("\"\\/\u{8}\u{C}\n\r\té\u{0}"), .text("😀 é")])
    }

    // MARK: - JSON Lines numbers

    static let jsonNumbers: [Refusal] = [
        Refusal(input: #"{"id":12345678901234567890123}"#, code: .invalidValue, column: "id",
                reason: "JSON integer 12345678901234567890123 is out of the 64-bit range"),
        Refusal(input: #"{"id":9223372036854775808}"#, code: .invalidValue, column: "id",
                reason: "JSON integer 9223372036854775808 is out of the 64-bit range"),
        Refusal(input: #"{"id":-9223372036854775809}"#, code: .invalidValue, column: "id",
                reason: "JSON integer -9223372036854775809 is out of the 64-bit range"),
        Refusal(input: #"{"id":1e30}"#, code: .invalidValue, column: "id",
                reason: "JSON number 1e30 is out of the 64-bit range"),
        Refusal(input: #"{"id":1.5}"#, code: .invalidValue, column: "id", reason: "JSON number 1.5 is not an integer"),
        Refusal(input: #"{"id":1e-3}"#, code: .invalidValue, column: "id", reason: "JSON number 1e-3 is not an integer"),
        Refusal(input: #"{"r":1e400}"#, code: .invalidValue, column: "r",
                reason: "JSON number 1e400 is out of the range of a real (64-bit float)"),
        Refusal(input: #"{"r":-1e400}"#, code: .invalidValue, column: "r",
                reason: "JSON number -1e400 is out of the range of a real (64-bit float)"),
        Refusal(input: #"{"r":"1e400"}"#, code: .invalidValue, column: "r",
                reason: "'1e400' is out of the range of a real (64-bit float)"),
        Refusal(input: #"{"r":"NaN"}"#, code: .invalidValue, column: "r",
                reason: "'NaN' is not a real number (a real column holds finite numbers only)"),
        Refusal(input: #"{"r":"-inf"}"#, code: .invalidValue, column: "r",
                reason: "'-inf' is not a real number (a real column holds finite numbers only)"),
        Refusal(input: #"{"t":[1e400]}"#, code: .invalidValue, column: "t",
                reason: "JSON number 1e400 inside an array or object is out of the range of a 64-bit float"),
        Refusal(input: #"{"b":2}"#, code: .invalidValue, column: "b", reason: "JSON number 2 is not a boolean"),
    ]

    @Test("JSON numbers that do not fit their column are refused with line and column", arguments: jsonNumbers)
    func jsonNumberRefused(_ refusal: Refusal) throws {
        try expectRefused("bad.jsonl", "{\"id\":1,\"r\":2.5}\n\(refusal.input)\n", format: .jsonl, refusal)
    }

    @Test("JSON numbers fill columns by their exact value; text columns keep the digits")
    func jsonNumbersAccepted() throws {
        let rows = try jsonRows([
            #"{"id":9223372036854775807,"r":12345678901234567890123,"t":12345678901234567890123,"b":1}"#,
            #"{"id":-9223372036854775808,"r":1.7976931348623157e308,"t":1e400,"b":0.0}"#,
            #"{"id":1e3,"r":-0.0,"t":-0.0,"b":1e0}"#,
            #"{"id":1.50e1,"r":1e-400,"t":2.50,"b":-0}"#,
            #"{"id":-0,"r":9007199254740993,"t":0,"b":false}"#,
        ])
        #expect(rows == [
            [.integer(.max), .real(1.2345678901234568e22), .text("12345678901234567890123"), .integer(1)],
            [.integer(.min), .real(1.7976931348623157e308), .text("1e400"), .integer(0)],
            [.integer(1000), .real(-0.0), .text("-0.0"), .integer(1)],
            [.integer(15), .real(0), .text("2.50"), .integer(0)],
            [.integer(0), .real(9007199254740992), .text("0"), .integer(0)],
        ])
    }
}
