/// How a load writes its rows into the target (SPEC.md §2 `write`).
public enum WriteMode: String, Sendable, CaseIterable, Hashable {
    /// Partition replace: the partitions a load covers are swapped out in one transaction
    /// (the whole table, for an unpartitioned table).
    case replace
    /// Staging then atomic append: rows are appended once per load id, with a ledger entry.
    case append
}
