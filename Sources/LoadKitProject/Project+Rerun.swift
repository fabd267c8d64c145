import Foundation
import LoadKit

extension Project {
    /// Runs again what run `runID` did not finish: its failed, upstream-failed and interrupted
    /// items and those it never started, as `loadkit rerun RUN_ID`. A failed `load --input FILE`
    /// reloads that file.
    /// - Returns: the new run's summary (linked to `runID`); an empty summary (empty `runID`)
    ///   when nothing is left to run.
    /// - Throws: ``UsageError`` for an unknown run or a table no longer in the config.
    @discardableResult
    public func rerun(runID: String, options: RunOptions = RunOptions()) throws -> RunSummary {
        try rerun(selecting: runID, options: options)
    }

    /// Runs again every table and partition whose latest attempt failed or was interrupted,
    /// and the never-started items of interrupted runs, as `loadkit rerun --failed`.
    /// - Returns: as ``rerun(runID:options:)``.
    @discardableResult
    public func rerunFailed(options: RunOptions = RunOptions()) throws -> RunSummary {
        try rerun(selecting: nil, options: options)
    }

    private func rerun(selecting runID: String?, options: RunOptions) throws -> RunSummary {
        let nothing = RunSummary(runID: "", status: .success, items: [], notStarted: 0, seconds: 0)
        let warehouse = try Warehouse(config: config)
        guard warehouse.exists else {
            if let runID { throw UsageError("no run \(runID); the warehouse \(warehouse.location) does not exist yet") }
            return nothing
        }
        let log = try warehouse.open()
        try log.reapDeadRuns(now: CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)))
        var planned: [(item: PlannedItem, runID: String)] = []
        if let runID {
            guard let run = try log.run(runID) else {
                throw UsageError("no run \(runID); `loadkit runs` lists them")
            }
            planned = Self.unfinished(run, attempts: try log.attempts(runID: runID)).map { ($0, runID) }
        } else {
            let latest = try log.latestAttempts()
            planned = latest.filter(\.status.needsRerun).map {
                (PlannedItem(table: $0.table, partition: $0.partitionKey, input: $0.input), $0.runID)
            }
            let attempted = Set(latest.map { PlannedItem(table: $0.table, partition: $0.partitionKey, input: $0.input) })
            for run in try log.runs(limit: 1000, failedOnly: false)
            where run.status == .interrupted && run.dismissedAt == nil {
                let started = Set(try log.attempts(runID: run.runID).map {
                    PlannedItem(table: $0.table, partition: $0.partitionKey, input: $0.input)
                })
                for item in run.plan ?? [] where !started.contains(item) && !attempted.contains(item) {
                    planned.append((item, run.runID))
                }
            }
        }
        var seen = Set<PlannedItem>()
        var items: [RunPlan.Item] = []
        for (item, _) in planned where seen.insert(item).inserted {
            guard try pipeline.graph.task(item.table) != nil else {
                throw UsageError("table '\(item.table)' of that run is no longer in the config")
            }
            let partition = try item.partition.map { key in
                guard let scheme = try self.pipeline.scheme(of: item.table) else {
                    throw UsageError("table '\(item.table)' is no longer partitioned")
                }
                return try scheme.partition(forKey: key)
            }
            items.append(RunPlan.Item(task: item.table, partition: partition, input: item.input))
        }
        if items.isEmpty { return nothing }
        // --failed links to the earlier run when every failure came from one run.
        let parents = Set(planned.map(\.runID))
        let parent = runID ?? (parents.count == 1 ? parents.first : nil)
        return try execute(RunPlan(items: items), command: "rerun",
                           arguments: arguments(["rerun", runID ?? "--failed"]), parentRunID: parent, options: options)
    }

    /// The items of `run`'s plan that did not end in success or skipped (for a run recorded
    /// without a plan: its failed, upstream_failed and interrupted attempts).
    package static func unfinished(_ run: RunRecord, attempts: [AttemptRecord]) -> [PlannedItem] {
        var last: [PlannedItem: AttemptStatus] = [:]
        for a in attempts { last[PlannedItem(table: a.table, partition: a.partitionKey, input: a.input)] = a.status }
        guard let plan = run.plan else {
            return attempts.filter(\.status.needsRerun)
                .map { PlannedItem(table: $0.table, partition: $0.partitionKey, input: $0.input) }
        }
        return plan.filter { last[$0].map(\.needsRerun) ?? true }
    }
}
