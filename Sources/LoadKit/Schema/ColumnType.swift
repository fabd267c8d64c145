/// A declared column type (SPEC.md §2), its SQL declaration and its storage form.
public enum ColumnType: String, Sendable, CaseIterable, Hashable {
    /// A 64-bit signed integer, written in decimal with an optional sign.
    case integer
    /// A double, in decimal or exponent notation; `nan` is refused.
    case real
    /// Any UTF-8 text.
    case text
    /// `true/false`, `t/f`, `yes/no`, `y/n`, `on/off`, `1/0` in any case (the PostgreSQL
    /// boolean input forms); stored as integer 1 or 0.
    case boolean
    /// A calendar date `YYYY-MM-DD` (proleptic Gregorian); stored as that text.
    case date
    /// An ISO 8601 date-time, stored as UTC text `YYYY-MM-DDTHH:MM:SSZ` (with `.fff…` before
    /// the `Z` only when the input had non-zero fractional seconds).
    case timestamp

    /// The column's declared SQL type, which sets its SQLite type affinity
    /// (https://www.sqlite.org/datatype3.html §3.1).
    public var sqlType: String {
        switch self {
        case .integer: return "INTEGER"
        case .real: return "REAL"
        case .text: return "TEXT"
        case .boolean: return "BOOLEAN"
        case .date: return "DATE"
        case .timestamp: return "TIMESTAMP"
        }
    }

    /// The type names accepted in a config file, for error messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
