import Foundation

/// Reads the text form of a field as a typed ``Value`` (SPEC.md §2 storage forms).
///
/// Works on raw UTF-8 bytes so the CSV hot path never builds a `String` for numbers. Errors
/// carry only the reason (`'abc' is not a real number`); the caller adds file, line and column.
/// Not `Sendable` (it owns a ``LocalTimeResolver`` cache): one per reader.
public final class ValueParser {
    /// Reads timestamps that carry no UTC offset.
    public let localTime: LocalTimeResolver

    /// Creates a parser whose naive timestamps are read in `localTime`'s zone.
    public init(localTime: LocalTimeResolver) {
        self.localTime = localTime
    }

    deinit { lastTimestamp.input.deallocate() }

    /// The last timestamp parsed, its field bytes and storage form: rows of one hour follow
    /// each other in most files (flights: about 50 a value), so most timestamps are the one
    /// before, and returning its string spares the zone conversion, the formatting and the
    /// allocation of a 20-byte string (beyond Swift's 15-byte inline strings) for each row.
    @exclusivity(unchecked) private var lastTimestamp: (input: UnsafeMutableRawBufferPointer, count: Int, value: String) =
        (.allocate(byteCount: 64, alignment: 8), -1, "")

    /// The reason a field could not be read; becomes a ``LoadKitError`` `.invalidValue`.
    public struct Failure: Error {
        /// For example `'abc' is not a real number`.
        public let reason: String
    }

    /// Parses `bytes` as a value of `type`.
    ///
    /// - Parameters:
    ///   - bytes: the field's UTF-8 bytes (already unquoted, already checked for NULL tokens).
    ///   - type: the declared column type.
    /// - Returns: the value in its storage form.
    /// - Throws: ``Failure`` with the reason.
    public func parse(_ bytes: UnsafeRawBufferPointer, as type: ColumnType) throws(Failure) -> Value {
        switch type {
        case .text:
            return .text(String(decoding: bytes, as: UTF8.self))
        case .integer:
            guard let v = Self.parseInteger(bytes) else {
                throw Failure(reason: "\(Self.show(bytes)) is not an integer"
                    + (Self.looksNumeric(bytes) ? " (or is out of the 64-bit range)" : ""))
            }
            return .integer(v)
        case .real:
            guard let v = Self.parseReal(bytes) else { throw Self.realFailure(bytes) }
            return .real(v)
        case .boolean:
            guard let v = Self.parseBoolean(bytes) else {
                throw Failure(reason: "\(Self.show(bytes)) is not a boolean "
                    + "(true/false, t/f, yes/no, y/n, on/off, 1/0)")
            }
            return .integer(v ? 1 : 0)
        case .date:
            guard bytes.count == 10, let days = Self.parseDate(bytes, from: 0) else {
                throw Failure(reason: "\(Self.show(bytes)) is not a valid date (YYYY-MM-DD)")
            }
            return .text(CivilTime.formatDate(days: days))
        case .timestamp:
            if bytes.count == lastTimestamp.count, bytes.count > 0,
               memcmp(lastTimestamp.input.baseAddress!, bytes.baseAddress!, bytes.count) == 0 {
                return .text(lastTimestamp.value)
            }
            let value = try parseTimestamp(bytes)
            if bytes.count <= lastTimestamp.input.count, let source = bytes.baseAddress {
                lastTimestamp.input.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
                lastTimestamp.count = bytes.count
                lastTimestamp.value = value
            }
            return .text(value)
        }
    }

    // MARK: - Numbers

    /// A decimal integer with an optional sign; `nil` when malformed or outside `Int64`.
    static func parseInteger(_ b: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        var negative = false
        if let first = b.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            i = 1
        }
        guard i < b.count else { return nil }
        var value: Int64 = 0
        while i < b.count {
            let d = b[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d))
                                   : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { p in
        var v = 1.0
        for _ in 0..<p { v *= 10 }
        return v
    }

    /// A finite double; `nil` when malformed, out of the 64-bit float range (`1e400`), infinite
    /// (`inf`, `Infinity`) or NaN: a real column holds finite numbers only.
    ///
    /// Plain decimals with at most 15 significant digits take Clinger's exact fast path (the
    /// mantissa and the power of ten are both exact doubles, so one division rounds correctly);
    /// everything else goes through the standard library's correctly rounded parser. A value
    /// below the smallest subnormal rounds to zero, as IEEE 754 rounding does.
    static func parseReal(_ b: UnsafeRawBufferPointer) -> Double? {
        var i = 0
        var negative = false
        if let first = b.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenDot = false
        var anyDigit = false
        var simple = true
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else if c &- UInt8(ascii: "0") < 10 {
                anyDigit = true
                if digits > 0 || c != UInt8(ascii: "0") { digits += 1 }
                mantissa = mantissa &* 10 &+ Int64(c &- UInt8(ascii: "0"))
                if seenDot { fractionDigits += 1 }
            } else {
                simple = false
                break
            }
            i += 1
        }
        if simple && anyDigit && digits <= 15 && fractionDigits <= 22 {
            let v = Double(mantissa) / exactPowersOfTen[fractionDigits]
            return negative ? -v : v
        }
        // Decimal syntax only: `Double(String)` would also read hexadecimal (`0x10`, `0x1p3`).
        guard decimalSyntax(b), let v = Double(String(decoding: b, as: UTF8.self)), v.isFinite else { return nil }
        // A decimal that rounds to zero (`1e-400`) stays a real: 0 is its nearest double, as
        // for any other value the 64-bit float cannot hold exactly.
        return v
    }

    /// Whether `b` is a decimal number: an optional sign, digits with at most one `.` (at least
    /// one digit), an optional exponent `e`/`E`, sign, digits.
    static func decimalSyntax(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        var digits = 0, dot = false
        while i < b.count {
            let c = b[i]
            if c &- UInt8(ascii: "0") < 10 {
                digits += 1
            } else if c == UInt8(ascii: ".") && !dot {
                dot = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { return false }
        if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
            let start = i
            while i < b.count, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            guard i > start else { return false }
        }
        return i == b.count
    }

    /// Why ``parseReal(_:)`` refused `b`: not a number, a number beyond the 64-bit float range,
    /// or an infinity or NaN spelled out.
    static func realFailure(_ b: UnsafeRawBufferPointer) -> Failure {
        guard let v = Double(String(decoding: b, as: UTF8.self)) else {
            return Failure(reason: "\(show(b)) is not a real number")
        }
        if !decimalSyntax(b) && v.isFinite {
            return Failure(reason: "\(show(b)) is not a real number (write it in decimal, such as 2.5 or 1e-3)")
        }
        // `Double(String)` reads `inf`, `infinity` and `nan` (any case, signed) as themselves;
        // anything else that is not finite is a decimal beyond ±1.7976931348623157e308.
        let body = b.first == UInt8(ascii: "-") || b.first == UInt8(ascii: "+") ? b.dropFirst() : b[...]
        if v.isNaN || body.first.map({ $0 | 0x20 == UInt8(ascii: "i") }) == true {
            return Failure(reason: "\(show(b)) is not a real number (a real column holds finite numbers only)")
        }
        return Failure(reason: "\(show(b)) is out of the range of a real (64-bit float)")
    }

    private static func looksNumeric(_ b: UnsafeRawBufferPointer) -> Bool {
        !b.isEmpty && b.allSatisfy { $0 &- UInt8(ascii: "0") < 10 || $0 == 45 || $0 == 43 }
    }

    static func parseBoolean(_ b: UnsafeRawBufferPointer) -> Bool? {
        guard b.count <= 5 else { return nil }
        switch String(decoding: b, as: UTF8.self).lowercased() {
        case "true", "t", "yes", "y", "on", "1": return true
        case "false", "f", "no", "n", "off", "0": return false
        default: return nil
        }
    }

    // MARK: - Dates and times

    /// `YYYY-MM-DD` at `from`, validated against the calendar; days since 1970-01-01.
    static func parseDate(_ b: UnsafeRawBufferPointer, from s: Int) -> Int? {
        guard b.count >= s + 10, b[s + 4] == UInt8(ascii: "-"), b[s + 7] == UInt8(ascii: "-"),
              let year = digits(b, s, 4), let month = digits(b, s + 5, 2),
              let day = digits(b, s + 8, 2),
              (1...12).contains(month), day >= 1,
              day <= CivilTime.daysInMonth(year: year, month: month) else { return nil }
        return CivilTime.days(year: year, month: month, day: day)
    }

    private static func digits(_ b: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> Int? {
        var v = 0
        for i in start..<start + count {
            let d = b[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// ISO 8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.f…]]][Z|±HH[:]MM|±HH]` to the UTC storage form.
    /// Without an offset the time is local to ``localTime``'s zone.
    func parseTimestamp(_ b: UnsafeRawBufferPointer) throws(Failure) -> String {
        var invalid: Failure {
            Failure(reason: "\(Self.show(b)) is not a valid timestamp "
                + "(ISO 8601, for example 2013-01-01T05:00:00Z or 2013-01-01 00:00:00)")
        }
        guard let days = Self.parseDate(b, from: 0) else { throw invalid }
        // Already in the storage form (`YYYY-MM-DDTHH:MM:SSZ`): keep the text as it is.
        if b.count == 20, b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
           b[19] == UInt8(ascii: "Z"), let h = Self.digits(b, 11, 2), let m = Self.digits(b, 14, 2),
           let s = Self.digits(b, 17, 2), h < 24, m < 60, s < 60 {
            _ = days
            return String(decoding: b, as: UTF8.self)
        }
        var i = 10
        var secondOfDay = 0
        var fraction: ArraySlice<UInt8> = []
        if i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") {
            guard b.count >= i + 6, b[i + 3] == UInt8(ascii: ":"),
                  let hour = Self.digits(b, i + 1, 2), let minute = Self.digits(b, i + 4, 2),
                  hour < 24, minute < 60 else { throw invalid }
            secondOfDay = hour * 3600 + minute * 60
            i += 6
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard b.count >= i + 3, let second = Self.digits(b, i + 1, 2), second < 60 else {
                    throw invalid
                }
                secondOfDay += second
                i += 3
                if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    let start = i + 1
                    i = start
                    while i < b.count, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
                    guard i > start else { throw invalid }
                    var digits = Array(b[start..<i])
                    while digits.last == UInt8(ascii: "0") { digits.removeLast() }
                    fraction = digits[...]
                }
            }
        }
        let local = Int64(days) * 86_400 + Int64(secondOfDay)
        if i == b.count {
            guard let utc = localTime.utcSeconds(forLocal: local) else {
                throw Failure(reason: "\(Self.show(b)) does not exist in \(localTime.timeZone.displayIdentifier) "
                    + "(skipped by a daylight-saving change); give it a UTC offset")
            }
            return CivilTime.formatUTC(seconds: utc, fraction: fraction)
        }
        let sign = b[i]
        if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
            guard i + 1 == b.count else { throw invalid }
            return CivilTime.formatUTC(seconds: local, fraction: fraction)
        }
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"),
              b.count >= i + 3, let oh = Self.digits(b, i + 1, 2), oh <= 18 else { throw invalid }
        var om = 0
        switch b.count - i {
        case 3: break
        case 5: guard let m = Self.digits(b, i + 3, 2) else { throw invalid }; om = m
        case 6:
            guard b[i + 3] == UInt8(ascii: ":"), let m = Self.digits(b, i + 4, 2) else { throw invalid }
            om = m
        default: throw invalid
        }
        guard om < 60 else { throw invalid }
        let offset = Int64(oh * 3600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        return CivilTime.formatUTC(seconds: local - offset, fraction: fraction)
    }

    /// The field quoted for a message, cut at 60 characters.
    static func show(_ b: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: b, as: UTF8.self)
        return text.count > 60 ? "'\(text.prefix(60))…'" : "'\(text)'"
    }
}
