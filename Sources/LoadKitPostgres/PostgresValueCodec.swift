import LoadKit

/// Values between loadkit's storage forms (SPEC.md §2, ``LoadKit/Value``) and PostgreSQL's text
/// format, so that the same rows read back from PostgreSQL are the same ``LoadKit/Value``s
/// SQLite stores and give the same fingerprint (SPEC.md §4).
///
/// Reading assumes the session settings `TimeZone = 'UTC'` and `DateStyle = 'ISO'` (the
/// destination sets both) and PostgreSQL 12 or later (`extra_float_digits = 1`: shortest exact
/// `double precision` output). A timestamp keeps at most 6 fractional digits in PostgreSQL
/// (microseconds; more are rounded). PostgreSQL manual §8.5.1, §8.5.2, §8.1.3.
public enum PostgresValueCodec {
    /// The text-format field of `value` in a column of `type`, `nil` for NULL: a boolean's
    /// 0/1 is written `false`/`true`, a double in Swift's shortest exact form (`-0.0`, `inf`,
    /// `1e+300`), everything else as stored.
    public static func encode(_ value: Value, as type: ColumnType) -> String? {
        switch value {
        case .null: return nil
        case .integer(let integer):
            return type == .boolean ? (integer != 0 ? "true" : "false") : String(integer)
        case .real(let real): return String(real)
        case .text(let text): return text
        }
    }

    /// The ``LoadKit/Value`` of a text-format result field of a column of `type` (`nil`: NULL).
    /// - Returns: `nil` when the text is not PostgreSQL's output for that type.
    public static func decode(_ text: String?, as type: ColumnType) -> Value? {
        guard let text else { return .null }
        switch type {
        case .integer: return Int64(text).map(Value.integer)
        case .real: return Double(text).map(Value.real)
        case .text, .date: return .text(text)
        case .boolean:
            switch text {
            case "t": return .integer(1)
            case "f": return .integer(0)
            default: return nil
            }
        case .timestamp:
            // `2013-01-05 10:00:00.5+00` → `2013-01-05T10:00:00.5Z`
            guard text.hasSuffix("+00"), text.count >= 22 else { return nil }
            return .text(String(text.dropLast(3)).replacingOccurrences(of: " ", with: "T") + "Z")
        }
    }
}
