import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject
import LoadKitSQLite

extension LoadKitCommand {
    /// `loadkit rerun`: run again exactly what failed.
    struct Rerun: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run again exactly the tasks that failed.",
            usage: """
                loadkit rerun (<run-id> | --failed)
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                With RUN_ID: every item of that run's plan that did not succeed (failed, \
                upstream_failed, interrupted because its process was killed, or never \
                started), for the same partitions, and a `load --input FILE` with that same \
                FILE.

                With --failed: every table and partition (or input file) whose most recent \
                attempt failed or was interrupted, whatever run it was in, and the \
                never-started items of interrupted runs. Failures superseded by a later \
                success, and runs dismissed with `loadkit runs dismiss`, do not count.

                The new run is recorded with the old run as its parent (with --failed, when \
                every failure came from one run).

                Examples:
                  loadkit rerun 20261129T174833Z-39f07352
                  loadkit rerun --failed

                Exit codes: 0 success, or nothing failed; 1 a task failed again; 64 a usage \
                or config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The run to re-run.", valueName: "run-id"))
        var runID: String?

        @Flag(name: .long, help: "Re-run every partition whose latest attempt failed.")
        var failed = false

        func validate() throws {
            if (runID == nil) == !failed { throw ValidationError("give a RUN_ID or --failed (one of them)") }
        }

        func run() throws {
            do {
                let config = try global.loadConfig()
                let pipeline = try Pipeline(config: config)
                guard FileManager.default.fileExists(atPath: config.warehouse) else {
                    if global.json { try RunOutput.printNothingToDo() } else { print("no warehouse at \(config.warehouse) yet; nothing to re-run") }
                    return
                }
                let log = try SQLiteDestination(path: config.warehouse)
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
                    guard pipeline.graph.task(item.table) != nil else {
                        throw UsageError("table '\(item.table)' of that run is no longer in the config")
                    }
                    let partition = try item.partition.map { key in
                        guard let scheme = try pipeline.scheme(of: item.table) else {
                            throw UsageError("table '\(item.table)' is no longer partitioned")
                        }
                        return try scheme.partition(forKey: key)
                    }
                    items.append(RunPlan.Item(task: item.table, partition: partition, input: item.input))
                }
                let failedItems = planned
                if items.isEmpty {
                    if global.json { try RunOutput.printNothingToDo() } else { print("nothing failed; nothing to re-run") }
                    return
                }
                let runner = try pipeline.runner()
                if !global.quiet { runner.observer = ProgressLine(label: "rerun") }
                SignalHandling.install(cancelling: runner)
                // --failed links to the earlier run when every failure came from one run.
                let parents = Set(failedItems.map(\.runID))
                let parent = runID ?? (parents.count == 1 ? parents.first : nil)
                let summary = try runner.run(RunPlan(items: items), parentRunID: parent, command: "rerun",
                                             arguments: Array(CommandLine.arguments.dropFirst()))
                try RunOutput.finish(summary, title: "rerun of \(items.count) failed task\(items.count == 1 ? "" : "s")",
                                     config: config, json: global.json)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }

        /// The items of `run`'s plan that did not end in success or skipped (for a run recorded
        /// without a plan: its failed, upstream_failed and interrupted attempts).
        static func unfinished(_ run: RunRecord, attempts: [AttemptRecord]) -> [PlannedItem] {
            var last: [PlannedItem: AttemptStatus] = [:]
            for a in attempts { last[PlannedItem(table: a.table, partition: a.partitionKey, input: a.input)] = a.status }
            guard let plan = run.plan else {
                return attempts.filter(\.status.needsRerun)
                    .map { PlannedItem(table: $0.table, partition: $0.partitionKey, input: $0.input) }
            }
            return plan.filter { last[$0].map(\.needsRerun) ?? true }
        }
    }
}
