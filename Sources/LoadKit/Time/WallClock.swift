import Foundation

/// The time wherever "now" decides something: the default end of a backfill, the partition
/// `run` loads, the default `--to` of `status --from` (SPEC.md §6).
///
/// `LOADKIT_NOW` replaces the system clock when set, so tests of time never depend on the real
/// date: an ISO 8601 instant with a UTC offset (`2024-03-10T07:30:00Z`,
/// `2024-03-10T02:30:00-05:00`, fractional seconds allowed) or a date (`2024-03-10`, read as
/// midnight UTC). Records of when something happened (run and attempt times, run ids) keep the
/// real clock: they are facts, not decisions.
public enum WallClock {
    /// The name of the environment variable that replaces the clock.
    public static let variable = "LOADKIT_NOW"

    /// Now, from `LOADKIT_NOW` when it is set and not empty, else from the system clock.
    /// - Throws: ``LoadKitError`` `.schema` (a usage error) when `LOADKIT_NOW` is not an
    ///   ISO 8601 instant or date.
    public static func now(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Date {
        guard let text = environment[variable], !text.isEmpty else { return Date() }
        guard let date = parse(text) else {
            throw LoadKitError(.schema, "\(variable): '\(text)' is not an ISO 8601 instant or date; "
                + "write it like 2024-03-10T07:30:00Z, 2024-03-10T02:30:00-05:00 or 2024-03-10")
        }
        return date
    }

    /// An ISO 8601 instant with an offset, or a date at midnight UTC; `nil` otherwise.
    static func parse(_ text: String) -> Date? {
        // ISO8601DateFormatter is lenient (it rolls 2013-02-30 over to March 2): check the
        // calendar and clock fields first.
        guard fieldsAreValid(text) else { return nil }
        let instant = ISO8601DateFormatter()
        if let date = instant.date(from: text) { return date }
        instant.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = instant.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        return text.count == 10 ? day.date(from: text) : nil
    }

    /// `YYYY-MM-DD` with a real month and day, optionally followed by `Thh:mm:ss` (hour < 24,
    /// minute and second < 60), an optional fraction and an offset (`Z` or `±hh:mm`, hours ≤ 23).
    private static func fieldsAreValid(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var v = 0
            for i in start..<start + count {
                guard b[i] &- 48 < 10 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month) else { return false }
        if b.count == 10 { return true }
        guard b.count >= 20, b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              hour < 24, minute < 60, second < 60 else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] &- 48 < 10 { i += 1 }
            guard i > start else { return false }
        }
        if i < b.count, b[i] == UInt8(ascii: "Z") { return i + 1 == b.count }
        guard i + 6 == b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: ":"),
              let offsetHours = number(i + 1, 2), let offsetMinutes = number(i + 4, 2),
              offsetHours < 24, offsetMinutes < 60 else { return false }
        return true
    }
}
