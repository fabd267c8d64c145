/// The size of a partition: an hour, a day, a month or a year of local time.
///
/// Partition keys (SPEC.md §2): year `2013`, month `2013-01`, day `2013-01-01`, hour
/// `2013-11-03T01:00-04:00` (local start of the hour with its UTC offset).
public enum Granularity: String, Sendable, CaseIterable, Hashable {
    case hour, day, month, year

    /// The source-path template placeholders a partition of this size can fill.
    ///
    /// `{key}` always; `{year}` always; `{month}` from month down; `{day}` and `{date}` from day
    /// down; `{hour}` only for hours.
    public var placeholders: Set<String> {
        switch self {
        case .year: return ["key", "year"]
        case .month: return ["key", "year", "month"]
        case .day: return ["key", "year", "month", "day", "date"]
        case .hour: return ["key", "year", "month", "day", "date", "hour"]
        }
    }

    /// The names accepted in a config file, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
