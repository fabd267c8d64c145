import Foundation

/// The partitions of a backfill: from a first to a last key, both included.
///
/// A key may name a coarser period than the table's partitions: on an hour table, the day key
/// `2024-01-01` as `--from` means the first hour of that local day and as `--to` the last hour
/// of it (23 or 25 hours on a daylight-saving day); likewise a month key on a day or hour table
/// and a year key on a month, day or hour table. Boundaries are the table's zone's local
/// calendar.
///
/// ```swift
/// let hours = PartitionScheme(granularity: .hour, timeZone: TimeZone(identifier: "America/New_York")!)
/// try BackfillRange.partitions(hours, from: "2024-11-03", to: "2024-11-03", now: Date()).count  // 25
/// ```
public enum BackfillRange {
    /// The partitions from `from` through `to` (both inclusive, oldest first). Without `to`,
    /// through the last partition complete before `now` in the scheme's time zone (none, when
    /// `from` is not complete yet). `now` is
    /// read once, by the caller, when the run starts: retries and reruns never recompute it.
    /// - Parameters:
    ///   - from: a key of the scheme's granularity, or of a coarser one (its first partition).
    ///   - to: a key of the scheme's granularity, or of a coarser one (its last partition).
    /// - Throws: ``LoadKitError`` `.partitionKey` for a malformed key or `to` before `from`.
    public static func partitions(_ scheme: PartitionScheme, from: String, to: String?, now: Date) throws -> [Partition] {
        let first = try firstPartition(scheme, forKey: from)
        let last = try to.map { try lastPartition(scheme, forKey: $0) } ?? scheme.lastComplete(before: now)
        guard last.start >= first.start else {
            // Nothing complete yet is not a mistake (a daily cron job may start early); a
            // reversed range is.
            if to == nil { return [] }
            let shownTo = coarserGranularity(of: to!, than: scheme) == nil ? last.key : to!
            let shownFrom = coarserGranularity(of: from, than: scheme) == nil ? first.key : from
            throw LoadKitError(.partitionKey, "--to \(shownTo) is before --from \(shownFrom)")
        }
        return scheme.partitions(from: first, through: last)
    }

    /// The partition `key` names, or for a key of a coarser period the first partition of it.
    /// - Throws: ``LoadKitError`` `.partitionKey` for a malformed key.
    public static func firstPartition(_ scheme: PartitionScheme, forKey key: String) throws -> Partition {
        guard let period = try coarserPeriod(of: key, than: scheme) else { return try scheme.partition(forKey: key) }
        return scheme.partition(containingUTC: period.start)
    }

    /// The partition `key` names, or for a key of a coarser period the last partition of it.
    /// - Throws: ``LoadKitError`` `.partitionKey` for a malformed key.
    public static func lastPartition(_ scheme: PartitionScheme, forKey key: String) throws -> Partition {
        guard let period = try coarserPeriod(of: key, than: scheme) else { return try scheme.partition(forKey: key) }
        return scheme.partition(containingUTC: period.end - 1)
    }

    /// The period a key of a coarser granularity than the scheme's names, in the scheme's zone;
    /// `nil` for any other key (it is then read as a key of the scheme's own granularity).
    private static func coarserPeriod(of key: String, than scheme: PartitionScheme) throws -> Partition? {
        guard let granularity = coarserGranularity(of: key, than: scheme) else { return nil }
        return try PartitionScheme(granularity: granularity, timeZone: scheme.timeZone).partition(forKey: key)
    }

    /// The granularity a key's shape names (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) when it is coarser
    /// than the scheme's.
    private static func coarserGranularity(of key: String, than scheme: PartitionScheme) -> Granularity? {
        let shapes: [(length: Int, granularity: Granularity)] = [(4, .year), (7, .month), (10, .day)]
        guard let shape = shapes.first(where: { $0.length == key.utf8.count }) else { return nil }
        let order: [Granularity] = [.hour, .day, .month, .year]
        return order.firstIndex(of: shape.granularity)! > order.firstIndex(of: scheme.granularity)!
            ? shape.granularity : nil
    }
}
