import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit runs`: run history, attempts and errors.
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List runs, their attempts and errors.",
            discussion: """
                Examples:
                  loadkit runs                  the 20 newest runs
                  loadkit runs --failed         failed or interrupted runs and their errors
                  loadkit runs show RUN_ID      one run with every attempt
                  loadkit runs dismiss RUN_ID   stop counting a run's failures

                --json prints {"runs": [run]} or, for show, {"run": run, "attempts": \
                [attempt]}; a run is {"runId", "parentRunId", "command", "args", \
                "startedAt", "finishedAt", "status", "failures": [attempt]}, an attempt \
                {"table", "partition", "attempt", "status", "startedAt", "finishedAt", \
                "rows", "error"}, plus "worker" (host, pid, thread) for a queued run's; show \
                adds "pending": [{"table", "partition", "state", "worker"}], the tasks of a \
                queued run that have not ended.
                """,
            subcommands: [List.self, Show.self, Dismiss.self],
            defaultSubcommand: List.self
        )

        static func line(_ r: RunInfo) -> String {
            "\(r.runId)  \(r.status.padding(toLength: 11, withPad: " ", startingAt: 0))  \(r.startedAt)  "
                + "loadkit \(r.args.joined(separator: " "))"
                + (r.parentRunId.map { r.command == "verify" ? "  (step of verify \($0))" : "  (rerun of \($0))" } ?? "")
                + (r.dismissedAt.map { "  (dismissed \($0))" } ?? "")
        }

        static func line(_ a: AttemptInfo) -> String {
            "  \(a.status.padding(toLength: 15, withPad: " ", startingAt: 0)) \(a.table)"
                + (a.partition.map { " \($0)" } ?? "") + (a.input.map { " \($0)" } ?? "")
                + (a.attempt > 0 ? " attempt \(a.attempt)" : "")
                + (a.worker.map { " on \($0)" } ?? "")
                + (a.rows.map { ", " + Count.of($0, "row") } ?? "") + (a.error.map { ": \($0)" } ?? "")
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List runs, newest first.",
                usage: """
                    loadkit runs list [--failed] [--limit <limit>]
                    [--config <path>] [--json] [--quiet] [--warehouse <path>]
                    """,
                discussion: """
                    Examples:
                      loadkit runs
                      loadkit runs --failed --limit 5
                      loadkit runs list --json
                    """)

            @OptionGroup var global: GlobalOptions

            @Flag(name: .long, help: "Only failed and interrupted runs, with their failed tasks and errors.")
            var failed = false

            @Option(name: .long, help: "How many runs at most.")
            var limit = 20

            func run() throws {
                do {
                    let project = try global.openProject()
                    let runs = try project.runs(limit: limit, failedOnly: failed)
                    if global.json {
                        struct Report: Encodable { var runs: [RunInfo] }
                        try JSONOutput.print(Report(runs: runs))
                        return
                    }
                    if runs.isEmpty {
                        print(failed && project.warehouseExists ? "no failed runs" : "no runs yet")
                    }
                    for run in runs {
                        print(Runs.line(run))
                        run.failures.forEach { print(Runs.line($0)) }
                    }
                } catch {
                    throw ExitStatus.report(error)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show one run with every attempt.",
                usage: """
                    loadkit runs show <run-id>
                    [--config <path>] [--json] [--quiet] [--warehouse <path>]
                    """,
                discussion: """
                    Examples:
                      loadkit runs show 20261129T174833Z-39f07352
                      loadkit runs show 20261129T174833Z-39f07352 --json
                    """)

            @OptionGroup var global: GlobalOptions

            @Argument(help: ArgumentHelp("The run id.", valueName: "run-id"))
            var runID: String

            func run() throws {
                do {
                    let project = try global.openProject()
                    let (run, attempts) = try project.runRecord(runID)
                    // A queued run's tasks that no attempt has ended yet (SPEC.md §8).
                    let pending = run.status == "running" ? try project.pendingTasks(ofRun: runID) : []
                    if global.json {
                        struct Task: Encodable { var table: String; var partition: String?; var state: String; var worker: String? }
                        struct Report: Encodable {
                            var run: RunInfo; var attempts: [AttemptInfo]; var pending: [Task]?
                        }
                        try JSONOutput.print(Report(run: run, attempts: attempts, pending: pending.isEmpty ? nil : pending.map {
                            Task(table: $0.table, partition: $0.partitionKey, state: $0.state.rawValue,
                                 worker: $0.state == .running ? $0.worker : nil)
                        }))
                        return
                    }
                    print(Runs.line(run))
                    print("  finished \(run.finishedAt ?? "-")")
                    attempts.forEach { print(Runs.line($0)) }
                    for task in pending {
                        print("  \(task.state.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(task.table)"
                              + (task.partitionKey.map { " \($0)" } ?? "")
                              + (task.state == .running ? task.worker.map { " on \($0)" } ?? "" : " (on the queue)"))
                    }
                } catch {
                    throw ExitStatus.report(error)
                }
            }
        }

        struct Dismiss: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Stop counting a run's failures in status and reruns.",
                usage: """
                    loadkit runs dismiss <run-id>
                    [--config <path>] [--json] [--quiet] [--warehouse <path>]
                    """,
                discussion: """
                    The run and its attempts stay in the history, and `loadkit runs show` \
                    marks it dismissed; only its failures stop counting. A failure superseded \
                    by a later success stops counting by itself.

                    Examples:
                      loadkit runs dismiss 20261129T174833Z-39f07352
                    """)

            @OptionGroup var global: GlobalOptions

            @Argument(help: ArgumentHelp("The run id.", valueName: "run-id"))
            var runID: String

            func run() throws {
                do {
                    let now = try global.openProject().dismissRun(runID)
                    if global.json {
                        struct Report: Encodable { var runId: String; var dismissedAt: String }
                        try JSONOutput.print(Report(runId: runID, dismissedAt: now))
                    } else {
                        print("run \(runID) dismissed: its failures no longer count in status and rerun --failed")
                    }
                } catch {
                    throw ExitStatus.report(error)
                }
            }
        }
    }
}
