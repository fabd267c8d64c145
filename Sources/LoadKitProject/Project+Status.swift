import Foundation
import LoadKit

extension Project {
    /// Each partition's state (`loaded`, `failed`, `missing`, `stale`, `running`, and for a
    /// scheduled table `waiting` and `late`), as
    /// `loadkit status --table T --json`. Reads only; runs whose process died are marked
    /// `interrupted` first (which writes only the run log).
    /// - Parameters:
    ///   - table: a partitioned table of the config.
    ///   - from: the first partition key; `nil` spans every partition loaded or attempted
    ///     (for a scheduled table: from its `schedule.start` through the last due partition).
    ///   - to: the last partition key; `nil` means the last complete one (with `from`) or the
    ///     newest known (without).
    /// - Throws: ``UsageError`` for an unpartitioned table or a bad key.
    public func status(_ table: String, from: String? = nil, to: String? = nil) throws -> StatusReport {
        let tableConfig = try config.requireTable(table)
        guard let scheme = tableConfig.scheme else {
            throw UsageError("table '\(table)' is not partitioned; `loadkit fingerprint --table \(table)` "
                + "and `loadkit runs` show its state")
        }
        let partitions: [Partition]
        let now = try WallClock.now()
        if let from {
            partitions = try BackfillRange.partitions(scheme, from: from, to: to, now: now)
        } else if let schedule = tableConfig.schedule {
            // A scheduled table spans its schedule: from `start` through the last due partition
            // (or the newest known one, or `to`), so waiting and late partitions show.
            let known = try PartitionStates.knownKeys(table: table, config: config)
                .compactMap { try? scheme.partition(forKey: $0) }.sorted()
            let first = try schedule.firstPartition(scheme)
            let due = try schedule.duePartitions(scheme, now: now).last
            let last = try to.map { try BackfillRange.lastPartition(scheme, forKey: $0) }
                ?? [due, known.last].compactMap { $0 }.max()
            partitions = last.map { $0 >= first ? scheme.partitions(from: min(first, known.first ?? first), through: $0) : [] } ?? []
        } else {
            let known = try PartitionStates.knownKeys(table: table, config: config)
                .compactMap { try? scheme.partition(forKey: $0) }.sorted()
            if let first = known.first, let last = known.last {
                partitions = scheme.partitions(from: first, through: try to.map { try BackfillRange.lastPartition(scheme, forKey: $0) } ?? last)
            } else {
                partitions = []
            }
        }
        let states = try PartitionStates.compute(table: tableConfig, partitions: partitions, config: config, now: now)
        return StatusReport(table: table, granularity: scheme.granularity.rawValue, partitions: states,
                            counts: Dictionary(grouping: states, by: { $0.state.rawValue }).mapValues(\.count))
    }

    /// The fingerprint of a whole table or one partition (SPEC.md §4), as
    /// `loadkit fingerprint --json`. Never creates the warehouse.
    /// - Throws: ``UsageError`` when `partition` does not fit the table; `LoadKitError`
    ///   `.noSuchTable` when the table (or the whole warehouse) does not exist yet.
    public func fingerprint(_ table: String, partition: String? = nil) throws -> FingerprintReport {
        let tableConfig = try config.requireTable(table)
        let key = try tableConfig.partitionKey(partition)
        guard let destination = try Warehouse(config: config).openForReading() else {
            throw LoadKitError(.noSuchTable, "table '\(table)' does not exist: there is no warehouse at "
                + "\(InputIdentity.displayName(of: config.warehouse)) yet; load it first")
        }
        let fingerprint = try destination.fingerprint(table: table, partitionColumn: tableConfig.partition?.column,
                                                      partition: key)
        return FingerprintReport(table: table, partition: key, rows: fingerprint.rows, fingerprint: fingerprint.hex)
    }
}

/// The states of a table's partitions: the value `loadkit status --json` prints,
/// `{"table", "granularity", "partitions": [...], "counts": {state: n}}`.
public struct StatusReport: Encodable, Sendable {
    /// The table.
    public var table: String
    /// `hour`, `day`, `month` or `year`.
    public var granularity: String
    /// Each partition of the range, oldest first.
    public var partitions: [PartitionStatus]
    /// How many partitions are in each state.
    public var counts: [String: Int]
}

/// A table's or partition's fingerprint: the value `loadkit fingerprint --json` prints,
/// `{"table", "partition", "rows", "fingerprint"}` (`partition` null for the whole table).
public struct FingerprintReport: Codable, Sendable, Equatable {
    /// The table.
    public var table: String
    /// The partition key, or `nil` for the whole table.
    public var partition: String?
    /// Rows, in rows.
    public var rows: Int
    /// The fingerprint's hex form (SPEC.md §4).
    public var fingerprint: String

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(table, forKey: .table)
        try c.encode(partition, forKey: .partition)  // null, not absent, for the whole table
        try c.encode(rows, forKey: .rows)
        try c.encode(fingerprint, forKey: .fingerprint)
    }
    enum CodingKeys: String, CodingKey { case table, partition, rows, fingerprint }
}
