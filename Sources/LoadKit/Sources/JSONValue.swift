/// A parsed JSON value, as ``JSONParser`` reads it (RFC 8259).
///
/// Numbers keep the text they were written with, so the target column decides whether `3` is an
/// integer, a real or text; objects keep their members in input order (keys are unique: the
/// parser refuses duplicates).
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// What the value is, for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember: Equatable {
    var key: String
    var value: JSONValue
}

/// A JSON number as written: `-12`, `2.5`, `1e400`, `12345678901234567890123`.
struct JSONNumber: Equatable {
    /// The number's text exactly as in the input (valid RFC 8259 number grammar).
    var text: String
    /// The value when the text is an integer (no fraction, no exponent) in the 64-bit range.
    var integer: Int64?
    /// `true` when the text has no fraction and no exponent, whatever its size.
    var isIntegerSyntax: Bool

    /// The value as an integer, exactly.
    enum Integral: Equatable {
        case value(Int64)
        /// Has a non-zero fractional part (`1.5`, `1e-3`).
        case notInteger
        /// A whole number outside `Int64` (`9223372036854775808`, `1e30`).
        case outOfRange
    }

    /// The exact integer value: `1.0`, `1e3` and `-0` are integers, `1.5` is not, `1e30` is out of
    /// range. Decided on the decimal digits, never through a `Double`.
    var integral: Integral {
        if let integer { return .value(integer) }
        if isIntegerSyntax { return .outOfRange }
        let decimal = self.decimal
        if decimal.digits.isEmpty { return .value(0) }
        if decimal.zeros < 0 { return .notInteger }
        if decimal.digits.count + decimal.zeros > 19 { return .outOfRange }
        var value: Int64 = 0
        for d in decimal.digits + Array(repeating: 0, count: decimal.zeros) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = decimal.negative ? m.subtractingReportingOverflow(Int64(d))
                                           : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return .outOfRange }
            value = s
        }
        return .value(value)
    }

    /// The nearest finite double, or `nil` when the number is beyond ±1.7976931348623157e308.
    var double: Double? {
        if let integer, integer.magnitude <= 1 << 53 { return Double(integer) }
        var text = text
        return text.withUTF8 { ValueParser.parseReal(UnsafeRawBufferPointer($0)) }
    }

    /// The text `JSONDecoder` then `JSONEncoder` give for this number, so that arrays and objects
    /// keep the text they had with Foundation; `nil` beyond the double range.
    ///
    /// Foundation reads a number as an `Int64` when it can (swift-foundation's
    /// `_slowpath_unwrapFixedWidthInteger`): an integer literal in range; otherwise a number
    /// whose double is a whole number in range, taken as that double below 2^53 and, from 2^53,
    /// as the integer part of the decimal when its significant digits fit 64 bits. Any other
    /// number is written as `Double.description` without a trailing `.0`.
    var canonicalText: String? {
        if let integer { return String(integer) }
        guard let d = double else { return nil }
        if let v = Int64(exactly: d) {
            if d.magnitude < 0x1p53 { return String(v) }
            if let t = decimalIntegerPart { return String(t) }
        }
        var text = d.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    /// The text for messages, cut at 60 characters.
    var shown: String {
        text.utf8.count > 60 ? "\(text.prefix(60))…" : text
    }

    /// The integer part as Foundation's `Decimal` to `Int64` conversion gives it: `nil` when the
    /// significant digits do not fit a `UInt64` or the result does not fit an `Int64`.
    private var decimalIntegerPart: Int64? {
        let decimal = self.decimal
        var m: UInt64 = 0
        for d in decimal.digits {
            let (p, o1) = m.multipliedReportingOverflow(by: 10)
            let (s, o2) = p.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            m = s
        }
        if decimal.zeros < 0 {
            for _ in 0..<min(-decimal.zeros, 20) { m /= 10 }
        } else {
            for _ in 0..<decimal.zeros {
                let (p, o) = m.multipliedReportingOverflow(by: 10)
                if o { return nil }
                m = p
            }
        }
        guard let v = Int64(exactly: m) else { return nil }
        return decimal.negative ? -v : v
    }

    /// The number as `±digits × 10^zeros`: the significant digits without leading or trailing
    /// zeros (empty for zero), and the exponent, saturated beyond ±100000.
    private var decimal: (negative: Bool, digits: [UInt8], zeros: Int) {
        var text = text
        return text.withUTF8 { b in
            var i = 0
            let negative = b[0] == UInt8(ascii: "-")
            if negative { i = 1 }
            let start = i
            var intDigits = 0
            var seenDot = false
            while i < b.count, b[i] != UInt8(ascii: "e"), b[i] != UInt8(ascii: "E") {
                if b[i] == UInt8(ascii: ".") { seenDot = true } else if !seenDot { intDigits += 1 }
                i += 1
            }
            let mantissaEnd = i
            var exponent = 0
            if i < b.count {
                i += 1
                var expNegative = false
                if b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
                    expNegative = b[i] == UInt8(ascii: "-")
                    i += 1
                }
                while i < b.count {
                    if exponent < 100_000 { exponent = exponent * 10 + Int(b[i] &- UInt8(ascii: "0")) }
                    i += 1
                }
                if expNegative { exponent = -exponent }
            }
            // Each leading zero before the point moves the point left; trailing zeros go.
            var digits: [UInt8] = []
            var pointAt = intDigits
            for j in start..<mantissaEnd where b[j] != UInt8(ascii: ".") {
                if digits.isEmpty && b[j] == UInt8(ascii: "0") {
                    pointAt -= 1
                    continue
                }
                digits.append(b[j] &- UInt8(ascii: "0"))
            }
            while digits.last == 0 { digits.removeLast() }
            return (negative, digits, pointAt + exponent - digits.count)
        }
    }
}

extension JSONValue {
    /// The value as compact JSON text with object keys sorted by their UTF-8 bytes.
    ///
    /// The same text Foundation's `JSONEncoder` writes with `.sortedKeys` and
    /// `.withoutEscapingSlashes` for the value decoded by `JSONDecoder`, so the same object always
    /// gives the same text: strings escape `"`, `\` and control characters (`\b \f \n \r \t`, else
    /// `\u00xx`) and nothing else; a number that is a whole number in the 64-bit range is written
    /// as its digits (`1.0`, `1e2` and `-0` become `1`, `100`, `0`), any other as the shortest text
    /// that reads back as the same double (`0.1`, `1e-07`, `1.2345678901234568e+22`); see
    /// ``JSONNumber/canonicalText``.
    ///
    /// - Throws: ``ValueParser/Failure`` for a number beyond the range of a double (`1e400`),
    ///   which has no JSON text.
    func canonicalText() throws(ValueParser.Failure) -> String {
        var out: [UInt8] = []
        try write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(to out: inout [UInt8]) throws(ValueParser.Failure) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .string(let s): Self.writeString(s, to: &out)
        case .number(let n):
            if let text = n.canonicalText {
                out.append(contentsOf: text.utf8)
            } else {
                throw ValueParser.Failure(reason:
                    "JSON number \(n.shown) inside an array or object is out of the range of a 64-bit float")
            }
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (k, value) in values.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                try value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (k, member) in sorted.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                try member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, UInt8(ascii: "\"")])
            case 92: out.append(contentsOf: [92, 92])
            case 0x08: out.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [92, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
