import Foundation

/// The time wherever "now" decides something: the default end of a backfill, the partition
/// `run` loads, the default range of `status` (SPEC.md §6).
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
        let instant = ISO8601DateFormatter()
        if let date = instant.date(from: text) { return date }
        instant.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = instant.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        return text.count == 10 ? day.date(from: text) : nil
    }
}
