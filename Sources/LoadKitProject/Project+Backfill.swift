import Foundation
import LoadKit

extension Project {
    /// Loads every partition of `table` from `from` through `to` (both inclusive, oldest
    /// first), upstream tables first, as `loadkit backfill` does. Partitions already loaded from
    /// an unchanged source and definition are skipped unless `options.force`.
    /// - Parameters:
    ///   - table: a partitioned table of the config.
    ///   - from: the first partition key (a coarser key, e.g. a day for an hourly table, means
    ///     its first partition).
    ///   - to: the last partition key; `nil` means the last complete partition before now
    ///     (`LOADKIT_NOW` when set).
    ///   - options: concurrency, force, fail-fast.
    ///   - rebuild: drop the table and its ledger entries first (after a partitioning change).
    /// - Returns: the run's summary; status `failed` when a partition failed. A range with no
    ///   complete partition yet returns an empty summary (empty `runID`, no items).
    /// - Throws: ``UsageError`` for an unpartitioned table or a bad range; ``ConfigError``
    ///   for an unknown table.
    @discardableResult
    public func backfill(_ table: String, from: String, to: String? = nil, options: RunOptions = RunOptions(),
                         rebuild: Bool = false) throws -> RunSummary {
        let partitions = try backfillPartitions(table, from: from, to: to)
        let plan = try RunPlanning.plan(try pipeline, tables: [table], partitions: partitions)
        if partitions.isEmpty { return RunSummary(runID: "", status: .success, items: [], notStarted: 0, seconds: 0) }
        if rebuild { try Warehouse(config: config).open().dropTable(table) }
        var equivalent = ["backfill", "--table", table, "--from", from] + (to.map { ["--to", $0] } ?? [])
        if options.force { equivalent.append("--force") }
        if rebuild { equivalent.append("--rebuild") }
        return try execute(plan, command: "backfill", arguments: arguments(equivalent), options: options)
    }

    /// What ``backfill(_:from:to:options:rebuild:)`` would do to each item, decided by the
    /// same rules the run applies; writes nothing (`loadkit backfill --dry-run`).
    public func planBackfill(_ table: String, from: String, to: String? = nil, force: Bool = false,
                             rebuild: Bool = false) throws -> DryRun.Report {
        let partitions = try backfillPartitions(table, from: from, to: to)
        let plan = try RunPlanning.plan(try pipeline, tables: [table], partitions: partitions)
        // As the run: no complete partition yet means nothing runs, upstream tables included.
        if partitions.isEmpty { return DryRun.Report(table: table, plan: []) }
        return DryRun.Report(table: table, plan: try DryRun.steps(plan, pipeline: try pipeline, force: force,
                                                                  rebuilding: rebuild ? [table] : []))
    }

    /// Runs every table's task for one partition, in dependency order, as `loadkit run`.
    /// - Parameters:
    ///   - partition: the partition key; `nil` means the last complete partition before now.
    ///   - force: reload what is already loaded from unchanged sources.
    /// - Throws: ``UsageError`` when the partitioned tables do not share one scheme.
    @discardableResult
    public func run(partition: String? = nil, force: Bool = false) throws -> RunSummary {
        let plan = try runPlan(partition: partition)
        return try execute(plan, command: "run",
                           arguments: arguments(["run"] + (partition.map { ["--partition", $0] } ?? []) + (force ? ["--force"] : [])),
                           options: RunOptions(force: force))
    }

    /// What ``run(partition:force:)`` would do; writes nothing (`loadkit run --dry-run`).
    public func planRun(partition: String? = nil, force: Bool = false) throws -> DryRun.Report {
        DryRun.Report(table: "*", plan: try DryRun.steps(try runPlan(partition: partition), pipeline: try pipeline, force: force))
    }

    /// The partitions of a backfill's range.
    package func backfillPartitions(_ table: String, from: String, to: String?) throws -> [Partition] {
        let tableConfig = try config.requireTable(table)
        guard let scheme = tableConfig.scheme else {
            throw UsageError("table '\(table)' is not partitioned; load it with `loadkit load --table \(table)`")
        }
        return try BackfillRange.partitions(scheme, from: from, to: to, now: try WallClock.now())
    }

    /// The partition `run` covers (`nil` when no table is partitioned).
    package func runPartition(_ key: String?) throws -> Partition? {
        let schemes = Set(config.tables.compactMap(\.scheme))
        guard schemes.count <= 1 else {
            throw UsageError("`loadkit run` needs all partitioned tables to share one granularity and "
                + "time zone; these differ: " + config.tables.filter { $0.scheme != nil }
                    .map { "\($0.name) (\($0.scheme!.granularity.rawValue), \($0.scheme!.timeZone.displayIdentifier))" }
                    .joined(separator: ", ") + ". Use `loadkit backfill --table T` per table")
        }
        guard let scheme = schemes.first else {
            if key != nil { throw UsageError("no table is partitioned; run without --partition") }
            return nil
        }
        return try key.map { try scheme.partition(forKey: $0) } ?? scheme.lastComplete(before: try WallClock.now())
    }

    private func runPlan(partition: String?) throws -> RunPlan {
        let partitions = try runPartition(partition).map { [$0] } ?? []
        return RunPlan(graph: try pipeline.graph, tasks: Set(config.tables.map(\.name)), partitions: partitions)
    }
}
