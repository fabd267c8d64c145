import Crypto

/// Deterministic names derived from a task's parameters (SPEC.md §5).
///
/// A load id is `lk1_` followed by the first 32 hex digits of the SHA-256 of
/// `loadkit/v1␀<table>␀<write mode>␀<scope>` (␀ a NUL byte), where the scope is
/// `partition=<key>`, `input=<identity>` or `table` for a whole-table load: 36 bytes, the same on
/// every machine and every run, so a rerun finds what an earlier run left. The staging table is
/// `_loadkit_stg_` plus the load id's 32 hex digits: 45 bytes, within PostgreSQL's 63.
public enum LoadID {
    /// What part of a table a load covers, for its load id.
    public enum Scope: Sendable, Hashable {
        /// One partition, by key.
        case partition(String)
        /// One input file, by its identity (the path as the config or user names it).
        case input(String)
        /// The whole (unpartitioned) table.
        case table

        var text: String {
            switch self {
            case .partition(let key): return "partition=\(key)"
            case .input(let identity): return "input=\(identity)"
            case .table: return "table"
            }
        }
    }

    /// The load id of a task.
    /// - Parameters:
    ///   - table: the target table's name.
    ///   - mode: replace or append.
    ///   - scope: the partition, input or whole table.
    /// - Returns: `lk1_` and 32 lower-case hex digits.
    public static func make(table: String, mode: WriteMode, scope: Scope) -> String {
        let text = "loadkit/v1\u{0}\(table)\u{0}\(mode.rawValue)\u{0}\(scope.text)"
        let digest = SHA256.hash(data: Array(text.utf8))
        return "lk1_" + digest.prefix(16).map { b in
            (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
    }

    /// The staging table name for a load id: `_loadkit_stg_` and its 32 hex digits.
    public static func stagingName(for loadID: String) -> String {
        "_loadkit_stg_" + loadID.dropFirst(4)
    }

    /// The prefix every staging table name starts with.
    public static let stagingPrefix = "_loadkit_stg_"
}
