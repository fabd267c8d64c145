import ArgumentParser
import Foundation
import LoadKit
import LoadKitSQLite

extension LoadKitCommand {
    /// `loadkit rerun`: run again exactly what failed.
    struct Rerun: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run again exactly the tasks that failed, for the same partitions.",
            discussion: """
                With RUN_ID: the failed and upstream_failed tasks of that run. With --failed: every
                table and partition whose most recent attempt failed, whatever run it was in.
                The new run is recorded with the old run as its parent (with --failed, when every
                failure came from one run).

                Examples:
                  loadkit rerun 20261129T174833Z-39f07352
                  loadkit rerun --failed

                Exit codes: 0 success (or nothing failed), 1 a task failed again, 64 usage or config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The run to re-run.", valueName: "run-id"))
        var runID: String?

        @Flag(name: .long, help: "Re-run every table and partition whose latest attempt failed.")
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
                let attempts: [AttemptRecord]
                if let runID {
                    guard try log.run(runID) != nil else {
                        throw ValidationErrorText("no run \(runID); `loadkit runs` lists them")
                    }
                    attempts = try log.attempts(runID: runID)
                } else {
                    attempts = try log.latestAttempts()
                }
                let failedItems = attempts.filter { $0.status == .failed || $0.status == .upstreamFailed }
                var seen = Set<String>()
                var items: [RunPlan.Item] = []
                for attempt in failedItems where seen.insert("\(attempt.table)\u{0}\(attempt.partitionKey ?? "")").inserted {
                    guard pipeline.graph.task(attempt.table) != nil else {
                        throw ValidationErrorText("table '\(attempt.table)' of that run is no longer in the config")
                    }
                    let partition = try attempt.partitionKey.map { key in
                        guard let scheme = try pipeline.scheme(of: attempt.table) else {
                            throw ValidationErrorText("table '\(attempt.table)' is no longer partitioned")
                        }
                        return try scheme.partition(forKey: key)
                    }
                    items.append(RunPlan.Item(task: attempt.table, partition: partition))
                }
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
    }
}
