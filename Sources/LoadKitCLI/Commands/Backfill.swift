import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit backfill`: load every partition of a range, upstream tasks first.
    struct Backfill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the partitions from --from through --to.",
            usage: """
                loadkit backfill --table <table> --from <key> [--to <key>] [--force]
                [--concurrency <n>] [--fail-fast] [--dry-run] [--rebuild]
                [--queue [--wait]]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Partitions load oldest first, and upstream tables (depends_on) before them \
                where they are not loaded yet. Partitions already loaded from an unchanged source are skipped; --force \
                reloads them. Transient errors (a busy database) are retried with backoff; \
                bad data is not. Ctrl-C stops taking new partitions, lets running loads \
                finish, and records the run as interrupted.

                --from and --to name the first and the last partition, both included. A key \
                of a longer period means all of it, in the table's time zone: on an hour \
                table --from 2024-01-01 --to 2024-01-02 is every hour of both days, on a day \
                table --from 2024-01 --to 2024-02 every day of January and February. --to \
                defaults to the last complete partition before now.

                Examples:
                  loadkit backfill --table flights --from 2013-01-01 --to 2013-01-31
                  loadkit backfill --table flights --from 2013-01-01 --to 2013-01-07 --dry-run
                  loadkit backfill --table flights --from 2013-01 --to 2013-01 --force
                  loadkit backfill --table flights --from 2013-01 --to 2013-01 --concurrency 4
                  loadkit backfill --table flights --from 2013-01 --to 2013-01 --rebuild
                  loadkit backfill --table flights --from 2013-01 --to 2013-12 --queue --wait

                --queue (PostgreSQL warehouse): put the same plan on the warehouse's queue \
                for `loadkit worker`s on any machines, print the run id and exit 0; tasks \
                already queued or running are not added twice. --wait then shows progress \
                until every task of the range has ended and exits as a local backfill would.

                --json prints the run summary: {"runId", "status", "counts", "rows", \
                "seconds", "items": [{"table", "partition", "status", "attempts", "rows", \
                "message"}]}; with --dry-run, the plan instead: {"table", "plan": [{"table", \
                "partition", "action", "reason"}]}; with --queue (without --wait), {"runId", \
                "status": "queued", "added", "alreadyQueued"}.

                Exit codes: 0 every partition loaded or skipped, 1 a partition failed or the \
                run was interrupted, 64 a usage or config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table to backfill.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("The first partition key.", valueName: "key"))
        var from: String

        @Option(name: .long, help: ArgumentHelp("The last partition key (default: last complete one).", valueName: "key"))
        var to: String?

        @Flag(name: .long, help: "Reload partitions loaded from unchanged sources too.")
        var force = false

        @Option(name: .long, help: ArgumentHelp("Worker threads (default: defaults.concurrency).", valueName: "n"))
        var concurrency: Int?

        @Flag(name: .long, help: "Stop taking new partitions after the first failure.")
        var failFast = false

        @Flag(name: .long, help: "Print the plan: every partition and what would happen to it; write nothing.")
        var dryRun = false

        @Flag(name: .long, help: ArgumentHelp(
            "Drop the table and its ledger entries first, then load the range: after a change of partition column, granularity, time zone or columns. Rows outside the range are gone afterwards; the run history stays."))
        var rebuild = false

        @Flag(name: .long, help: "Queue the tasks for `loadkit worker`s instead of running them here (PostgreSQL warehouse).")
        var queue = false

        @Flag(name: .long, help: "With --queue: show progress until the queued run ends; exit as a local backfill.")
        var wait = false

        func validate() throws {
            if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
            if wait && !queue { throw ValidationError("--wait goes with --queue (a local backfill always waits)") }
            if queue {
                if rebuild { throw ValidationError("--rebuild runs here, not on the queue: rebuild with a local backfill first") }
                if concurrency != nil { throw ValidationError("--concurrency is set per worker with --queue: `loadkit worker --concurrency N`") }
                if failFast { throw ValidationError("--fail-fast does not apply to --queue: workers run every ready task") }
            }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                if queue { try project.requireQueue("backfill --queue") }
                if dryRun {
                    let report = try project.planBackfill(table, from: from, to: to, force: force, rebuild: rebuild)
                    if try DryRun.print(report, json: global.json) { throw ExitCode(ExitStatus.failure) }
                    return
                }
                if queue && !dryRun {
                    try QueuedBackfill(project: project, table: table, from: from, to: to, force: force,
                                       wait: wait, json: global.json, quiet: global.quiet).run()
                    return
                }
                let partitions = try project.backfillPartitions(table, from: from, to: to)
                if partitions.isEmpty {
                    _ = try project.planBackfill(table, from: from, to: to)  // the same checks as a run
                    if global.json { try RunOutput.printNothingToDo() }
                    else { print("backfill \(table): nothing to do; no partition from \(from) is complete yet") }
                    return
                }
                if rebuild && !global.quiet {
                    FileHandle.standardError.write(Data("backfill \(table): dropping the table and its ledger entries (--rebuild)\n".utf8))
                }
                let title = "backfill \(table) \(partitions.first!.key)..\(partitions.last!.key)"
                if !global.quiet { project.observer = ProgressLine(label: "backfill \(table)") }
                SignalHandling.install(cancelling: project)
                let summary = try project.backfill(table, from: from, to: to,
                                                   options: RunOptions(concurrency: concurrency, force: force, failFast: failFast),
                                                   rebuild: rebuild)
                try RunOutput.finish(summary, title: title, json: global.json)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
