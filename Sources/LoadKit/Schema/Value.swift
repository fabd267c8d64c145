/// One typed value as it is stored in the target database.
///
/// The storage forms follow SPEC.md §2: `boolean` is stored as `integer` 0 or 1, `date` as
/// text `YYYY-MM-DD`, `timestamp` as UTC text `YYYY-MM-DDTHH:MM:SSZ`. The four cases are
/// SQLite's storage classes without BLOB (https://www.sqlite.org/datatype3.html).
public enum Value: Sendable, Hashable, CustomStringConvertible {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer (also booleans, as 0 and 1).
    case integer(Int64)
    /// An IEEE 754 double; never NaN (SQLite would store NaN as NULL).
    case real(Double)
    /// UTF-8 text (also dates, timestamps and nested JSON).
    case text(String)

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .text(let v): return "'\(v)'"
        }
    }
}

extension Value {
    /// The text of a `.text` value; `nil` otherwise.
    public var textValue: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}
