/// Proleptic Gregorian calendar arithmetic on day and second counts since 1970-01-01.
///
/// The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days`
/// (http://howardhinnant.github.io/date_algorithms.html), exact for every year in
/// -9999...9999, so no `Calendar` is needed on the hot path.
public enum CivilTime {
    /// Days since 1970-01-01 of the date `year-month-day` (month 1...12, day 1...31).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `(year, month, day)` of a day count since 1970-01-01.
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` (1...12) of `year`.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD` for a day count since 1970-01-01 (years 0...9999).
    public static func formatDate(days: Int) -> String {
        let d = date(days: days)
        var out = [UInt8]()
        out.reserveCapacity(10)
        appendDigits(&out, d.year, width: 4)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, d.month, width: 2)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, d.day, width: 2)
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for a count of seconds since the Unix epoch, in UTC; when
    /// `fraction` is not empty it is written after the seconds (`…SS.fffZ`).
    ///
    /// - Parameters:
    ///   - seconds: whole seconds since 1970-01-01T00:00:00Z.
    ///   - fraction: the fractional-second digits without the dot, already without trailing zeros.
    public static func formatUTC(seconds: Int64, fraction: ArraySlice<UInt8> = []) -> String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let d = date(days: days)
        var out = [UInt8]()
        out.reserveCapacity(21 + fraction.count)
        appendDigits(&out, d.year, width: 4)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, d.month, width: 2)
        out.append(UInt8(ascii: "-"))
        appendDigits(&out, d.day, width: 2)
        out.append(UInt8(ascii: "T"))
        appendDigits(&out, secondOfDay / 3600, width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, secondOfDay / 60 % 60, width: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(&out, secondOfDay % 60, width: 2)
        if !fraction.isEmpty {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: fraction)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendDigits(_ out: inout [UInt8], _ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }
}
