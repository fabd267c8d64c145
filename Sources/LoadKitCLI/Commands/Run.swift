import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit run`: every table's task for one partition, in dependency order; with `--due`,
    /// every partition due by the tables' schedules.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every table's task for one partition, in dependency order.",
            usage: """
                loadkit run [--partition <key>] [--force] [--dry-run]
                loadkit run --due [--table <table>] [--dry-run]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                The partition defaults to the last complete one before now, in the \
                partitioned tables' time zone. Unpartitioned tables run once, before the \
                tables that depend on them. Partitions already loaded from unchanged sources \
                are skipped unless you pass --force.

                --due loads what the tables' schedule: says is due, decided from partition \
                boundaries and the ledger, not from when it is called: call it from cron or a \
                systemd timer every few minutes (`loadkit schedule print-cron`). A due \
                partition whose source file is not there yet is waiting (not failed), and late \
                after expected_by. A second run --due while one is active exits 75.

                Examples:
                  loadkit run --partition 2013-01-05
                  loadkit run --partition 2013-01-05 --dry-run
                  loadkit run --partition 2013-01-05 --json
                  loadkit run --due
                  loadkit run --due --table flights --dry-run

                Exit codes: 0 success, 1 a task failed or the run was interrupted, 64 a usage \
                or config error, 75 another run --due is active.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("The partition key (default: the last complete one).", valueName: "key"))
        var partition: String?

        @Flag(name: .long, help: "Reload what is already loaded from unchanged sources.")
        var force = false

        @Flag(name: .long, help: "Load every partition due by the tables' schedules.")
        var due = false

        @Option(name: .long, help: "With --due: only this scheduled table (and its upstream tasks).")
        var table: String?

        @Flag(name: .long, help: "Print the plan; write nothing.")
        var dryRun = false

        func validate() throws {
            if due && (partition != nil || force) {
                throw ValidationError("--due decides the partitions itself; leave out --partition and --force")
            }
            if table != nil && !due { throw ValidationError("--table needs --due") }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                if due { return try runDue(project) }
                if dryRun {
                    if try DryRun.print(try project.planRun(partition: partition, force: force), json: global.json) {
                        throw ExitCode(ExitStatus.failure)
                    }
                    return
                }
                let title = "run" + (try project.runPartition(partition).map { " \($0.key)" } ?? "")
                if !global.quiet { project.observer = ProgressLine(label: title) }
                SignalHandling.install(cancelling: project)
                let summary = try project.run(partition: partition, force: force)
                try RunOutput.finish(summary, title: title, json: global.json)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }

        /// `run --due [--table T] [--dry-run]`.
        private func runDue(_ project: Project) throws {
            if dryRun {
                if try DryRun.print(try project.planDue(table: table), json: global.json) {
                    throw ExitCode(ExitStatus.failure)
                }
                return
            }
            if !global.quiet { project.observer = ProgressLine(label: "run --due") }
            SignalHandling.install(cancelling: project)
            let summary = try project.runDue(table: table)
            for waiting in summary.waiting where !global.quiet {
                FileHandle.standardError.write(Data(
                    "loadkit: \(waiting.state) \(waiting.table) \(waiting.partition): source file not found yet: \(waiting.path)\n".utf8))
            }
            if summary.runID.isEmpty && !global.json {
                print("run --due: nothing due" + (summary.waiting.isEmpty ? "" : " (\(summary.waiting.count) waiting for their source)"))
                return
            }
            try RunOutput.finish(summary, title: "run --due", json: global.json)
        }
    }
}
