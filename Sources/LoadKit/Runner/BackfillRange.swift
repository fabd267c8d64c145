import Foundation

/// The partitions of a backfill: from a first to a last key, both included.
public enum BackfillRange {
    /// The partitions from `from` through `to` (both inclusive, oldest first). Without `to`,
    /// through the last partition complete before `now` in the scheme's time zone (none, when
    /// `from` is not complete yet). `now` is
    /// read once, by the caller, when the run starts: retries and reruns never recompute it.
    /// - Throws: ``LoadKitError`` `.partitionKey` for a malformed key or `to` before `from`.
    public static func partitions(_ scheme: PartitionScheme, from: String, to: String?, now: Date) throws -> [Partition] {
        let first = try scheme.partition(forKey: from)
        let last = try to.map { try scheme.partition(forKey: $0) } ?? scheme.lastComplete(before: now)
        guard last.start >= first.start else {
            // Nothing complete yet is not a mistake (a daily cron job may start early); a
            // reversed range is.
            if to == nil { return [] }
            throw LoadKitError(.partitionKey, "--to \(last.key) is before --from \(first.key)")
        }
        return scheme.partitions(from: first, through: last)
    }
}
