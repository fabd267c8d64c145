import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject
import LoadKitSQLite

extension LoadKitCommand {
    /// `loadkit runs`: run history, attempts and errors.
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List runs, their attempts and errors.",
            discussion: """
                Examples:
                  loadkit runs                  the 20 newest runs
                  loadkit runs --failed         failed runs, with their failed tasks and errors
                  loadkit runs show RUN_ID      one run with every attempt
                  loadkit runs dismiss RUN_ID   stop counting a run's failures

                --json prints {"runs": [run]} or, for show, {"run": run, "attempts": \
                [attempt]}; a run is {"runId", "parentRunId", "command", "args", \
                "startedAt", "finishedAt", "status", "failures": [attempt]}, an attempt \
                {"table", "partition", "attempt", "status", "startedAt", "finishedAt", \
                "rows", "error"}.
                """,
            subcommands: [List.self, Show.self, Dismiss.self],
            defaultSubcommand: List.self
        )

        struct AttemptJSON: Encodable {
            var table: String
            var partition: String?
            var attempt: Int
            var status: String
            var startedAt: String
            var finishedAt: String?
            var rows: Int?
            var error: String?

            init(_ a: AttemptRecord) {
                table = a.table; partition = a.partitionKey; attempt = a.attempt; status = a.status.rawValue
                startedAt = a.startedAt; finishedAt = a.finishedAt; rows = a.rows; error = a.error
            }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
                try c.encode(attempt, forKey: .attempt); try c.encode(status, forKey: .status)
                try c.encode(startedAt, forKey: .startedAt); try c.encode(finishedAt, forKey: .finishedAt)
                try c.encode(rows, forKey: .rows); try c.encode(error, forKey: .error)
            }
            enum CodingKeys: String, CodingKey { case table, partition, attempt, status, startedAt, finishedAt, rows, error }
        }

        struct RunJSON: Encodable {
            var runId: String
            var parentRunId: String?
            var command: String
            var args: [String]
            var startedAt: String
            var finishedAt: String?
            var status: String
            var failures: [AttemptJSON]

            init(_ r: RunRecord, failures: [AttemptRecord]) {
                runId = r.runID; parentRunId = r.parentRunID; command = r.command; args = r.arguments
                startedAt = r.startedAt; finishedAt = r.finishedAt; status = r.status.rawValue
                self.failures = failures.map(AttemptJSON.init)
            }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(runId, forKey: .runId); try c.encode(parentRunId, forKey: .parentRunId)
                try c.encode(command, forKey: .command); try c.encode(args, forKey: .args)
                try c.encode(startedAt, forKey: .startedAt); try c.encode(finishedAt, forKey: .finishedAt)
                try c.encode(status, forKey: .status); try c.encode(failures, forKey: .failures)
            }
            enum CodingKeys: String, CodingKey { case runId, parentRunId, command, args, startedAt, finishedAt, status, failures }
        }

        /// The run log, after marking runs whose process died `interrupted`.
        static func openLog(_ global: GlobalOptions) throws -> SQLiteDestination? {
            let config = try global.loadConfig()
            guard FileManager.default.fileExists(atPath: config.warehouse) else { return nil }
            let log = try SQLiteDestination(path: config.warehouse)
            try log.reapDeadRuns(now: CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)))
            return log
        }

        static func line(_ r: RunRecord) -> String {
            "\(r.runID)  \(r.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0))  \(r.startedAt)  "
                + "loadkit \(r.arguments.joined(separator: " "))"
                + (r.parentRunID.map { r.command == "verify" ? "  (step of verify \($0))" : "  (rerun of \($0))" } ?? "")
                + (r.dismissedAt.map { "  (dismissed \($0))" } ?? "")
        }

        static func line(_ a: AttemptRecord) -> String {
            "  \(a.status.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(a.table)"
                + (a.partitionKey.map { " \($0)" } ?? "") + (a.input.map { " \($0)" } ?? "")
                + (a.attempt > 0 ? " attempt \(a.attempt)" : "")
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

            @Flag(name: .long, help: "Only failed runs, with their failed tasks and errors.")
            var failed = false

            @Option(name: .long, help: "How many runs at most.")
            var limit = 20

            func run() throws {
                do {
                    guard let log = try Runs.openLog(global) else {
                        if global.json { print("{\"runs\":[]}") } else { print("no runs yet") }
                        return
                    }
                    let runs = try log.runs(limit: limit, failedOnly: failed)
                    let failures = try runs.map { run in
                        failed ? try log.attempts(runID: run.runID).filter { $0.status == .failed || $0.status == .upstreamFailed } : []
                    }
                    if global.json {
                        struct Report: Encodable { var runs: [RunJSON] }
                        FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(
                            Report(runs: zip(runs, failures).map { RunJSON($0, failures: $1) })))
                        print()
                        return
                    }
                    if runs.isEmpty { print(failed ? "no failed runs" : "no runs yet") }
                    for (run, failures) in zip(runs, failures) {
                        print(Runs.line(run))
                        failures.forEach { print(Runs.line($0)) }
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
                    guard let log = try Runs.openLog(global), let run = try log.run(runID) else {
                        throw UsageError("no run \(runID); `loadkit runs` lists them")
                    }
                    let attempts = try log.attempts(runID: runID)
                    if global.json {
                        struct Report: Encodable { var run: RunJSON; var attempts: [AttemptJSON] }
                        let failures = attempts.filter { $0.status == .failed || $0.status == .upstreamFailed }
                        FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(
                            Report(run: RunJSON(run, failures: failures), attempts: attempts.map(AttemptJSON.init))))
                        print()
                        return
                    }
                    print(Runs.line(run))
                    print("  finished \(run.finishedAt ?? "-")")
                    attempts.forEach { print(Runs.line($0)) }
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
                    guard let log = try Runs.openLog(global), try log.run(runID) != nil else {
                        throw UsageError("no run \(runID); `loadkit runs` lists them")
                    }
                    let now = CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
                    try log.dismissRun(runID, at: now)
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
