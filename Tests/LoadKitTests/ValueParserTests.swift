import Foundation
import LoadKit
import Testing

@Suite struct ValueParserTests {
    // MARK: integer

    @Test("Integers accept a sign, leading zeros and the whole 64-bit range", arguments: [
        ("0", 0), ("-0", 0), ("+7", 7), ("-42", -42), ("007", 7),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ] as [(String, Int64)])
    func integers(text: String, expected: Int64) throws {
        #expect(try parseValue(text, as: .integer) == .integer(expected))
    }

    @Test("Integers outside the 64-bit range or not in decimal are refused", arguments: [
        ("9223372036854775808", "'9223372036854775808' is not an integer (or is out of the 64-bit range)"),
        ("-9223372036854775809", "'-9223372036854775809' is not an integer (or is out of the 64-bit range)"),
        ("99999999999999999999", "'99999999999999999999' is not an integer (or is out of the 64-bit range)"),
        ("abc", "'abc' is not an integer"),
        ("1.0", "'1.0' is not an integer"),
        ("1e3", "'1e3' is not an integer"),
        ("0x1F", "'0x1F' is not an integer"),
        (" 1", "' 1' is not an integer"),
        ("", "'' is not an integer"),
    ])
    func badIntegers(text: String, reason: String) {
        #expect(failureReason(text, as: .integer) == reason)
    }

    // MARK: real

    /// Plain decimals (the fast path) and long mantissas, exponents and extremes (the slow path).
    static let realInputs = [
        "0", "-0", "+2.5", "1.5", "3.14159", "0.1", "0.30000000000000004", ".5", "5.", "-17",
        "123456789012345", "999999999999999", "0.000000000000000000001", "1234567.89012345",
        "1234567890123456", "9007199254740993", "0.1234567890123456789012", "123.456789012345678901234",
        "1e10", "1E-7", "-2.5e+3", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014E-308",
        "-1.7976931348623157e308", "1e-400", "0.0000000000000000000000000001", "00000000000000000000001.25",
    ]

    @Test("Reals equal Double(String) bit for bit, on the fast path and off it", arguments: realInputs)
    func reals(text: String) throws {
        let expected = try #require(Double(text))
        let value = try parseValue(text, as: .real)
        guard case .real(let parsed) = value else {
            Issue.record("\(text) gave \(value)")
            return
        }
        #expect(parsed.bitPattern == expected.bitPattern, "\(text): \(parsed) != \(expected)")
    }

    @Test("Reals equal Double(String) bit for bit on 20,000 generated decimals")
    func generatedReals() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var mismatches: [String] = []
        for _ in 0..<20_000 {
            var text = next(4) == 0 ? "-" : ""
            let digits = 1 + next(19)
            let dot = next(digits + 1)
            for i in 0..<digits {
                if i == dot { text += "." }
                text += String(next(10))
            }
            if next(5) == 0 { text += "e\(next(40) - 20)" }
            let expected = try #require(Double(text))
            guard case .real(let parsed) = try parseValue(text, as: .real),
                  parsed.bitPattern == expected.bitPattern else {
                mismatches.append(text)
                continue
            }
        }
        #expect(mismatches == [])
    }

    @Test("Malformed reals, infinities and NaN are refused", arguments: [
        ("abc", "'abc' is not a real number"),
        ("nan", "'nan' is not a real number (a real column holds finite numbers only)"),
        ("NaN", "'NaN' is not a real number (a real column holds finite numbers only)"),
        ("1e400", "'1e400' is out of the range of a real (64-bit float)"),
        ("-1e400", "'-1e400' is out of the range of a real (64-bit float)"),
        ("inf", "'inf' is not a real number (a real column holds finite numbers only)"),
        ("-Infinity", "'-Infinity' is not a real number (a real column holds finite numbers only)"),
        ("1..5", "'1..5' is not a real number"),
        ("1,5", "'1,5' is not a real number"),
        ("-", "'-' is not a real number"),
        (".", "'.' is not a real number"),
        (" 1", "' 1' is not a real number"),
        ("", "'' is not a real number"),
        (String(repeating: "x", count: 70), "'\(String(repeating: "x", count: 60))…' is not a real number"),
    ])
    func badReals(text: String, reason: String) {
        #expect(failureReason(text, as: .real) == reason)
    }

    // MARK: boolean

    @Test("Booleans accept the PostgreSQL input forms in any case", arguments: [
        ("true", 1), ("TRUE", 1), ("t", 1), ("T", 1), ("yes", 1), ("Yes", 1), ("y", 1), ("on", 1), ("ON", 1),
        ("1", 1), ("false", 0), ("False", 0), ("f", 0), ("no", 0), ("NO", 0), ("n", 0), ("off", 0),
        ("Off", 0), ("0", 0),
    ] as [(String, Int64)])
    func booleans(text: String, expected: Int64) throws {
        #expect(try parseValue(text, as: .boolean) == .integer(expected))
    }

    @Test("Other words are not booleans", arguments: ["maybe", "2", "truee", "yes please", "o", "", "-1"])
    func badBooleans(text: String) {
        #expect(failureReason(text, as: .boolean)
            == "'\(text)' is not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)")
    }

    // MARK: text

    @Test("Text is kept exactly", arguments: ["", "NA", "café ☕️", "a,\"b\"\r\nc", "  padded  "])
    func text(text: String) throws {
        #expect(try parseValue(text, as: .text) == .text(text))
    }

    // MARK: date

    @Test("Valid calendar dates, 29 February of leap years included",
          arguments: ["2024-02-29", "2000-02-29", "2013-01-01", "2013-12-31", "1970-01-01", "0001-01-01",
                      "9999-12-31", "2013-04-30"])
    func dates(text: String) throws {
        #expect(try parseValue(text, as: .date) == .text(text))
    }

    @Test("Impossible or misshapen dates are refused",
          arguments: ["2023-02-29", "1900-02-29", "2013-02-30", "2013-13-01", "2013-00-10", "2013-04-31",
                      "2013-01-00", "2013-01-32", "2013-1-01", "2013/01/01", "20130101", "2013-01-01T00:00:00",
                      "2013-01-01 ", "yesterday"])
    func badDates(text: String) {
        #expect(failureReason(text, as: .date) == "'\(text)' is not a valid date (YYYY-MM-DD)")
    }

    // MARK: timestamp

    @Test("Timestamp forms all become UTC text", arguments: [
        ("2013-01-01T05:00:00Z", "2013-01-01T05:00:00Z"),
        ("2013-01-01t05:00:00z", "2013-01-01T05:00:00Z"),
        ("2013-01-01 05:00:00Z", "2013-01-01T05:00:00Z"),
        ("2013-01-01T05:00:00+05:30", "2012-12-31T23:30:00Z"),
        ("2013-01-01T00:00:00-0500", "2013-01-01T05:00:00Z"),
        ("2013-01-01T00:00:00-05", "2013-01-01T05:00:00Z"),
        ("2013-01-01T23:30:00-01:00", "2013-01-02T00:30:00Z"),
        ("2000-02-29T12:00:00+14:00", "2000-02-28T22:00:00Z"),
        ("2013-01-01T05:00", "2013-01-01T05:00:00Z"),
        ("2013-01-01 05:00Z", "2013-01-01T05:00:00Z"),
        ("2013-01-01T05:00:00", "2013-01-01T05:00:00Z"),
        ("2013-01-01T05:00:00.120Z", "2013-01-01T05:00:00.12Z"),
        ("2013-01-01T05:00:00.000Z", "2013-01-01T05:00:00Z"),
        ("2013-01-01T05:00:00,5+01:00", "2013-01-01T04:00:00.5Z"),
        ("2013-01-01T05:00:00.123456789Z", "2013-01-01T05:00:00.123456789Z"),
        ("2013-01-01", "2013-01-01T00:00:00Z"),
        ("2013-01-01Z", "2013-01-01T00:00:00Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ("1900-01-01T00:00:00+01:00", "1899-12-31T23:00:00Z"),
    ])
    func timestamps(text: String, expected: String) throws {
        #expect(try parseValue(text, as: .timestamp) == .text(expected))
    }

    @Test("Naive timestamps and dates are read in the configured zone", arguments: [
        ("2013-01-01", "2013-01-01T05:00:00Z"),
        ("2013-07-01 00:00", "2013-07-01T04:00:00Z"),
        ("2013-07-01T20:15:30.250", "2013-07-02T00:15:30.25Z"),
        ("2013-07-01T20:15:30+02:00", "2013-07-01T18:15:30Z"),
    ])
    func naiveTimestamps(text: String, expected: String) throws {
        #expect(try parseValue(text, as: .timestamp, in: newYork) == .text(expected))
    }

    @Test("One parser reading a column row after row: a repeated timestamp gives the same value as a fresh parse, a changed or bad one is read anew")
    func repeatedTimestamps() throws {
        let parser = ValueParser(localTime: LocalTimeResolver(timeZone: newYork))
        func parse(_ text: String) throws -> Value {
            try Array(text.utf8).withUnsafeBytes { try parser.parse($0, as: .timestamp) }
        }
        let inputs = ["2013-01-01 05:00:00", "2013-01-01 05:00:00", "2013-01-01 06:00:00", "2013-01-01 05:00:00",
                      "2013-01-01 05:00:00Z", "2013-07-01 05:00:00", "2013-07-01 05:00:00"]
        for text in inputs {
            #expect(try parse(text) == (try parseValue(text, as: .timestamp, in: newYork)), "\(text)")
        }
        #expect(try parse("2013-07-01 05:00:00") == .text("2013-07-01T09:00:00Z"))
        // The same length and prefix as the last one, but invalid: refused, not the last value.
        #expect(throws: ValueParser.Failure.self) { try parse("2013-07-01 05:00:60") }
        #expect(try parse("2013-07-01 05:00:00") == .text("2013-07-01T09:00:00Z"))
        // A timestamp in another column type's parser run is unaffected: dates stay dates.
        #expect(try Array("2013-07-01".utf8).withUnsafeBytes { try parser.parse($0, as: .date) } == .text("2013-07-01"))
    }

    @Test("Malformed timestamps are refused", arguments: [
        "2013-01-01T24:00:00Z", "2013-01-01T12:60Z", "2013-01-01T12:00:60Z", "2013-01-01T5:00Z",
        "2013-01-01T05:00:00.Z", "2013-01-01T05:00:00+5", "2013-01-01T05:00:00+05:3",
        "2013-01-01T05:00:00+19:00", "2013-01-01T05:00:00+05:60", "2013-01-01T05:00:00Zjunk",
        "2013-01-01T05:00:00 +01:00", "2013-02-29T00:00:00Z", "2013-01-01X", "2013-01-01T05", "garbage",
    ])
    func badTimestamps(text: String) {
        #expect(failureReason(text, as: .timestamp) == "'\(text)' is not a valid timestamp "
            + "(ISO 8601, for example 2013-01-01T05:00:00Z or 2013-01-01 00:00:00)")
    }
}
