import Foundation
import LoadKit
import LoadKitSQLite

/// The state of each partition of a table (SPEC.md §3 `status`): `loaded`, `failed`,
/// `missing`, or `stale` (loaded, but its source changed since).
enum PartitionState: String, Encodable {
    case loaded, failed, missing, stale
}

struct PartitionStatus: Encodable {
    var partition: String
    var state: PartitionState
    var rows: Int?
    var loadedAt: String?
    var error: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(partition, forKey: .partition); try c.encode(state, forKey: .state)
        try c.encode(rows, forKey: .rows); try c.encode(loadedAt, forKey: .loadedAt); try c.encode(error, forKey: .error)
    }
    enum CodingKeys: String, CodingKey { case partition, state, rows, loadedAt, error }
}

enum PartitionStates {
    /// The states of `partitions` of `table`, from the ledger, the latest attempts and the
    /// sources as they are now. Reads only.
    static func compute(table: LoadKitConfig.TableConfig, partitions: [Partition], config: LoadKitConfig) throws -> [PartitionStatus] {
        let destination = FileManager.default.fileExists(atPath: config.warehouse)
            ? try SQLiteDestination(readingOnly: config.warehouse) : nil
        let ledger = Dictionary((try destination?.ledger(table: table.name) ?? []).compactMap { entry in
            entry.partitionKey.map { ($0, entry) }
        }, uniquingKeysWith: { a, _ in a })
        let latest = Dictionary((try destination.map { try latestAttempts($0, table: table.name) } ?? [])
            .compactMap { a in a.partitionKey.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        return try partitions.map { p in
            let entry = ledger[p.key]
            if let attempt = latest[p.key], attempt.status == .failed || attempt.status == .upstreamFailed,
               entry == nil || attempt.finishedAt >= entry!.loadedAt {
                return PartitionStatus(partition: p.key, state: .failed, rows: entry?.fingerprint.rows,
                                       loadedAt: entry?.loadedAt, error: attempt.error)
            }
            guard let entry else { return PartitionStatus(partition: p.key, state: .missing) }
            var current: String?
            if let source = table.source {
                let path = p.fill(source.path)
                current = FileManager.default.fileExists(atPath: path) ? try HashingByteSource.fingerprint(ofFile: path) : nil
            } else if let sql = table.sql, let destination {
                current = try RunTask.transformSourceFingerprint(sql: sql, partitionKey: p.key, dependsOn: table.dependsOn,
                                                                 destination: destination)
            }
            let stale = table.write == .replace && current != entry.sourceFingerprint
            return PartitionStatus(partition: p.key, state: stale ? .stale : .loaded, rows: entry.fingerprint.rows,
                                   loadedAt: entry.loadedAt, error: stale && current == nil ? "source file is gone" : nil)
        }
    }

    private static func latestAttempts(_ destination: SQLiteDestination, table: String) throws -> [AttemptRecord] {
        guard try destination.connection.scalar(
            "SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_attempts'") == .integer(1) else { return [] }
        return try destination.latestAttempts().filter { $0.table == table }
    }

    /// The partitions known to the ledger or the attempts, for a default range.
    static func knownKeys(table: String, config: LoadKitConfig) throws -> [String] {
        guard FileManager.default.fileExists(atPath: config.warehouse) else { return [] }
        let destination = try SQLiteDestination(readingOnly: config.warehouse)
        let keys = try destination.ledger(table: table).compactMap(\.partitionKey)
            + (try latestAttempts(destination, table: table)).compactMap(\.partitionKey)
        return Array(Set(keys))
    }
}
