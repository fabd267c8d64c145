import Foundation
import LoadKit
import LoadKitSQLite

/// The state of each partition of a table (SPEC.md §3 `status`): `loaded`, `failed`,
/// `missing`, `stale` (loaded, but its source or its table's definition changed since), or
/// `running` (an attempt of a live run is loading it now).
package enum PartitionState: String, Encodable {
    case loaded, failed, missing, stale, running
}

package struct PartitionStatus: Encodable {
    package var partition: String
    package var state: PartitionState
    /// Rows the partition holds now (for a failed one: of the earlier load it kept; `nil` when
    /// it holds nothing).
    package var rows: Int?
    package var loadedAt: String?
    package var error: String?
    /// Why it is stale: `source changed`, `source file is gone`, `definition changed`.
    package var reason: String?
    /// For a failed partition: whether it still holds the rows of an earlier load.
    package var kept: Bool?

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(partition, forKey: .partition); try c.encode(state, forKey: .state)
        try c.encode(rows, forKey: .rows); try c.encode(loadedAt, forKey: .loadedAt); try c.encode(error, forKey: .error)
        try c.encodeIfPresent(reason, forKey: .reason); try c.encodeIfPresent(kept, forKey: .kept)
    }
    package enum CodingKeys: String, CodingKey { case partition, state, rows, loadedAt, error, reason, kept }
}

package enum PartitionStates {
    /// The states of `partitions` of `table`, from the ledger, the latest attempts and the
    /// sources and definition as they are now. Reads only (after marking runs whose process
    /// died `interrupted`, which writes only the run log).
    package static func compute(table: LoadKitConfig.TableConfig, partitions: [Partition], config: LoadKitConfig) throws -> [PartitionStatus] {
        try reap(config)
        let destination = FileManager.default.fileExists(atPath: config.warehouse)
            ? try SQLiteDestination(readingOnly: config.warehouse) : nil
        let ledger = Dictionary((try destination?.ledger(table: table.name) ?? []).compactMap { entry in
            entry.partitionKey.map { ($0, entry) }
        }, uniquingKeysWith: { a, _ in a })
        let latest = Dictionary((try destination.map { try latestAttempts($0, table: table.name) } ?? [])
            .filter { $0.input == nil }
            .compactMap { a in a.partitionKey.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        let definition = try table.definition()
        return try partitions.map { p in
            let entry = ledger[p.key]
            if let attempt = latest[p.key] {
                let newer = entry == nil || (attempt.finishedAt ?? attempt.startedAt) >= entry!.loadedAt
                if attempt.status == .running && newer {
                    return PartitionStatus(partition: p.key, state: .running, rows: entry?.fingerprint.rows,
                                           loadedAt: entry?.loadedAt, error: nil)
                }
                if attempt.status == .failed || attempt.status == .upstreamFailed || attempt.status == .interrupted, newer {
                    return PartitionStatus(partition: p.key, state: .failed, rows: entry?.fingerprint.rows,
                                           loadedAt: entry?.loadedAt, error: attempt.error, kept: entry != nil)
                }
            }
            guard let entry else { return PartitionStatus(partition: p.key, state: .missing) }
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

    /// Marks runs whose process died `interrupted`, so no command shows them `running`.
    package static func reap(_ config: LoadKitConfig) throws {
        guard FileManager.default.fileExists(atPath: config.warehouse),
              FileManager.default.isWritableFile(atPath: config.warehouse) else { return }
        let log = try SQLiteDestination(readingOnly: config.warehouse)
        guard try log.connection.scalar("SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_runs'") == .integer(1),
              try log.connection.scalar("SELECT count(*) FROM _loadkit_runs WHERE status = 'running'") != .integer(0)
        else { return }
        try SQLiteDestination(path: config.warehouse).reapDeadRuns(now: CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)))
    }

    private static func latestAttempts(_ destination: SQLiteDestination, table: String) throws -> [AttemptRecord] {
        guard try destination.connection.scalar(
            "SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_attempts'") == .integer(1) else { return [] }
        return try destination.latestAttempts().filter { $0.table == table }
    }

    /// The partitions known to the ledger or the attempts, for a default range.
    package static func knownKeys(table: String, config: LoadKitConfig) throws -> [String] {
        guard FileManager.default.fileExists(atPath: config.warehouse) else { return [] }
        let destination = try SQLiteDestination(readingOnly: config.warehouse)
        let keys = try destination.ledger(table: table).compactMap(\.partitionKey)
            + (try latestAttempts(destination, table: table)).compactMap(\.partitionKey)
        return Array(Set(keys))
    }
}
