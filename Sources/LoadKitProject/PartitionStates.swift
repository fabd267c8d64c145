import Foundation
import LoadKit
import LoadKitSQLite

/// Computes ``PartitionStatus`` values for `status`.
package enum PartitionStates {
    /// The states of `partitions` of `table`, from the ledger, the latest attempts and the
    /// sources and definition as they are now. Reads only (after marking runs whose process
    /// died `interrupted`, which writes only the run log). For a scheduled table, a due
    /// partition not loaded is `waiting` while its source file is absent and `late` once its
    /// `expected_by` (after `now`) has passed.
    package static func compute(table: LoadKitConfig.TableConfig, partitions: [Partition], config: LoadKitConfig,
                                now: Date) throws -> [PartitionStatus] {
        try reap(config)
        let destination = try Warehouse(config: config).openForReading()
        let ledger = Dictionary((try destination?.ledger(table: table.name) ?? []).compactMap { entry in
            entry.partitionKey.map { ($0, entry) }
        }, uniquingKeysWith: { a, _ in a })
        let latest = Dictionary((try destination.map { try latestAttempts($0, table: table.name) } ?? [])
            .filter { $0.input == nil }
            .compactMap { a in a.partitionKey.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        let definition = try table.definition()
        let queued = try destination?.queuedPartitions(table: table.name) ?? [:]
        return try partitions.map { p in
            let entry = ledger[p.key]
            if let state = queued[p.key] {
                return PartitionStatus(partition: p.key, state: state == .running ? .running : .queued,
                                       rows: entry?.fingerprint.rows, loadedAt: entry?.loadedAt, error: nil,
                                       reason: state == .running ? "a worker runs it" : "on the queue")
            }
            if let attempt = latest[p.key] {
                let newer = entry == nil || (attempt.finishedAt ?? attempt.startedAt) >= entry!.loadedAt
                if attempt.status == .running && newer {
                    return PartitionStatus(partition: p.key, state: .running, rows: entry?.fingerprint.rows,
                                           loadedAt: entry?.loadedAt, error: nil)
                }
                // An attempt killed after its commit (after_commit) did load the partition: the
                // ledger entry is its own run's.
                let committed = attempt.status == .interrupted && entry?.runID == attempt.runID
                if attempt.status == .failed || attempt.status == .upstreamFailed || attempt.status == .interrupted, newer,
                   !committed {
                    return PartitionStatus(partition: p.key, state: .failed, rows: entry?.fingerprint.rows,
                                           loadedAt: entry?.loadedAt, error: attempt.error, kept: entry != nil)
                }
            }
            guard let entry else { return try unloaded(p, table: table, now: now) }
            var current: String?
            if let source = table.source {
                let path = p.fill(source.path)
                current = FileManager.default.fileExists(atPath: path) ? try HashingByteSource.fingerprint(ofFile: path) : nil
            } else if let sql = table.sql, let destination {
                current = try TransformInputs(sql: sql, partitionKey: p.key, upstream: table.dependsOn,
                                              destination: destination).sourceFingerprint
            }
            var reason: String?
            if let recorded = entry.definitionFingerprint, recorded != definition.fingerprint {
                reason = "definition changed"
            } else if current == nil && table.source != nil {
                reason = "source file is gone"
            } else if current != entry.sourceFingerprint {
                reason = entry.input.map { "loaded from \($0); its source file differs" } ?? "source changed"
            }
            return PartitionStatus(partition: p.key, state: reason == nil ? .loaded : .stale, rows: entry.fingerprint.rows,
                                   loadedAt: entry.loadedAt, error: nil, reason: reason)
        }
    }

    /// The state of a partition with no ledger entry and no failed or running attempt:
    /// `missing`, or for a due partition of a scheduled table `waiting` or `late`.
    private static func unloaded(_ p: Partition, table: LoadKitConfig.TableConfig, now: Date) throws -> PartitionStatus {
        guard let schedule = table.schedule, let scheme = table.scheme,
              try schedule.isDue(p, scheme: scheme, now: now) else {
            return PartitionStatus(partition: p.key, state: .missing)
        }
        let absent = table.source.map { p.fill($0.path) }.flatMap { FileManager.default.fileExists(atPath: $0) ? nil : $0 }
        let reason = absent.map { "source file not found yet: " + InputIdentity.displayName(of: $0) }
        if schedule.isLate(p, now: now) {
            return PartitionStatus(partition: p.key, state: .late, reason: reason ?? "due, not loaded yet")
        }
        return absent == nil ? PartitionStatus(partition: p.key, state: .missing)
            : PartitionStatus(partition: p.key, state: .waiting, reason: reason)
    }

    /// Marks runs whose process died `interrupted`, so no command shows them `running`.
    package static func reap(_ config: LoadKitConfig) throws {
        let warehouse = try Warehouse(config: config)
        guard warehouse.isWritable, let log = try warehouse.openForReading() else { return }
        guard try log.hasRunningRuns() else { return }
        try warehouse.open().reapDeadRuns(now: CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)))
    }

    private static func latestAttempts(_ destination: any WarehouseDestination, table: String) throws -> [AttemptRecord] {
        return try destination.latestAttempts().filter { $0.table == table }
    }

    /// The partitions known to the ledger or the attempts, for a default range.
    package static func knownKeys(table: String, config: LoadKitConfig) throws -> [String] {
        guard let destination = try Warehouse(config: config).openForReading() else { return [] }
        let keys = try destination.ledger(table: table).compactMap(\.partitionKey)
            + (try latestAttempts(destination, table: table)).compactMap(\.partitionKey)
            + (try destination.queuedPartitions(table: table)).keys
        return Array(Set(keys))
    }
}
