import Foundation
import LoadKit
import LoadKitSQLite

/// What `loadkit run --due` runs at a given now (SPEC.md §9), decided from partition boundaries
/// and the ledger only, so any number of missed, repeated or overlapping calls end with the
/// same warehouse.
package struct DuePlan {
    /// A due partition that is not run because a source file of it does not exist yet.
    package struct Waiting: Equatable {
        /// The scheduled table.
        package var table: String
        /// The partition.
        package var partition: Partition
        /// The source file it waits for (the first missing one, upstream tables included).
        package var path: String
        /// Whether `expected_by` has passed (the partition is `late`, not just `waiting`).
        package var late: Bool
    }

    /// The items to run, upstream tasks first within a partition, oldest partitions first.
    package var plan: RunPlan
    /// Why each partition of a scheduled table is in the plan: `due` (not loaded) or
    /// `lookback` (loaded, but a source changed since).
    package var reasons: [String: String]
    /// Due partitions whose source is not there yet, oldest first.
    package var waiting: [Waiting]

    /// The late partitions among ``waiting``.
    package var late: [Waiting] { waiting.filter(\.late) }
}

package enum DuePlanning {
    /// The due plan of every scheduled table (or of `table` alone) at `now`.
    ///
    /// Per scheduled table, oldest first: every partition from `start` whose interval ended
    /// `delay` before `now` that the ledger does not hold with the table's current definition
    /// (the source is not hashed for these: that is what `lookback` is for), leaving out those
    /// whose source file (or an upstream table's, for the same partition) does not exist yet,
    /// which are *waiting*; at most `catch_up` of them. Then the `lookback` newest loaded
    /// partitions whose source (or an upstream source) changed since it was loaded. Each
    /// partition brings its upstream tasks, which the run skips where they are loaded from
    /// unchanged sources, as in a backfill.
    /// - Throws: ``UsageError`` when no table has a schedule, or `table` has none.
    package static func plan(_ pipeline: Pipeline, table: String?, now: Date) throws -> DuePlan {
        let config = pipeline.config
        let scheduled: [LoadKitConfig.TableConfig]
        if let table {
            let chosen = try config.requireTable(table)
            guard chosen.schedule != nil else {
                throw UsageError("table '\(table)' has no schedule; add tables.\(table).schedule "
                    + "(start, delay, …) to \(InputIdentity.displayName(of: config.file)), or use "
                    + "`loadkit backfill --table \(table)`")
            }
            scheduled = [chosen]
        } else {
            scheduled = config.tables.filter { $0.schedule != nil }
            guard !scheduled.isEmpty else {
                throw UsageError("no table has a schedule; add tables.<table>.schedule (start, delay, …) "
                    + "to \(InputIdentity.displayName(of: config.file)) for `loadkit run --due`")
            }
        }
        let ledger = try LedgerView(config: config)
        var items: [RunPlan.Item] = []
        var seen = Set<RunPlan.Item>()
        var reasons: [String: String] = [:]
        var waiting: [DuePlan.Waiting] = []
        func add(_ item: RunPlan.Item) { if seen.insert(item).inserted { items.append(item) } }

        for table in scheduled {
            let schedule = table.schedule!, scheme = table.scheme!
            let closure = pipeline.graph.closure(of: [table.name]).compactMap { config.table($0.name) }
            var chosen: [Partition] = []
            var missing = 0
            let due = try schedule.duePartitions(scheme, now: now)
            for partition in due where !(try ledger.holds(table, partition)) {
                if let path = try ledger.absentSource(closure, partition) {
                    waiting.append(.init(table: table.name, partition: partition, path: path,
                                         late: schedule.isLate(partition, now: now)))
                    continue
                }
                if let limit = schedule.catchUp, missing >= limit { continue }
                missing += 1
                chosen.append(partition)
                reasons[table.name + " " + partition.key] = "due"
            }
            if schedule.lookback > 0 {
                let loaded = try due.filter { try ledger.holds(table, $0) }.suffix(schedule.lookback)
                for partition in loaded where try ledger.sourceChanged(closure, partition) {
                    chosen.append(partition)
                    reasons[table.name + " " + partition.key] = "lookback"
                }
            }
            for partition in chosen.sorted() {
                for task in closure {
                    add(RunPlan.Item(task: task.name, partition: task.partition == nil ? nil : partition))
                }
            }
        }
        let order = Dictionary(uniqueKeysWithValues: pipeline.graph.ordered.enumerated().map { ($1.name, $0) })
        items.sort { ($0.partition?.start ?? .min, order[$0.task]!) < ($1.partition?.start ?? .min, order[$1.task]!) }
        waiting.sort { ($0.partition.start, $0.table) < ($1.partition.start, $1.table) }
        return DuePlan(plan: RunPlan(items: items), reasons: reasons, waiting: waiting)
    }
}

/// The ledger as due planning reads it: per table, the entry of each partition key.
private struct LedgerView {
    private var entries: [String: [String: LedgerEntry]] = [:]
    private var definitions: [String: String] = [:]
    private let destination: (any WarehouseDestination)?

    init(config: LoadKitConfig) throws {
        destination = try Warehouse(config: config).openForReading()
        for table in config.tables where table.partition != nil {
            entries[table.name] = Dictionary((try destination?.ledger(table: table.name) ?? []).compactMap { entry in
                entry.partitionKey.map { ($0, entry) }
            }, uniquingKeysWith: { a, _ in a })
            definitions[table.name] = try table.definition().fingerprint
        }
    }

    /// Whether the ledger holds `partition` of `table`, loaded with its current definition.
    func holds(_ table: LoadKitConfig.TableConfig, _ partition: Partition) throws -> Bool {
        guard let entry = entries[table.name]?[partition.key] else { return false }
        return entry.definitionFingerprint.map { $0 == definitions[table.name] } ?? true
    }

    /// The first source file of `tables` (a table and its upstream tables) for `partition`
    /// that does not exist, among the tables that do not hold the partition yet.
    func absentSource(_ tables: [LoadKitConfig.TableConfig], _ partition: Partition) throws -> String? {
        for table in tables {
            guard let source = table.source else { continue }
            if table.partition != nil, entries[table.name]?[partition.key] != nil { continue }
            let path = table.partition == nil ? source.path : partition.fill(source.path)
            if !FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Whether a source file of `tables` for `partition` differs from the one its ledger entry
    /// was loaded from (a file that is gone changes nothing: the partition keeps its rows).
    func sourceChanged(_ tables: [LoadKitConfig.TableConfig], _ partition: Partition) throws -> Bool {
        for table in tables {
            guard let source = table.source, table.partition != nil else { continue }
            let path = partition.fill(source.path)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let entry = entries[table.name]?[partition.key] else { return true }
            if try HashingByteSource.fingerprint(ofFile: path) != entry.sourceFingerprint { return true }
        }
        return false
    }
}
