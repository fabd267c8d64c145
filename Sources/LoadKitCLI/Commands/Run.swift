import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit run`: every table's task for one partition, in dependency order.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every table's task for one partition, in dependency order.",
            usage: """
                loadkit run [--partition <key>] [--force] [--dry-run]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                The partition defaults to the last complete one before now, in the \
                partitioned tables' time zone. Unpartitioned tables run once, before the \
                tables that depend on them. Partitions already loaded from unchanged sources \
                are skipped unless you pass --force.

                Examples:
                  loadkit run --partition 2013-01-05
                  loadkit run --partition 2013-01-05 --dry-run
                  loadkit run --partition 2013-01-05 --json

                Exit codes: 0 success, 1 a task failed or the run was interrupted, 64 a usage \
                or config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("The partition key (default: the last complete one).", valueName: "key"))
        var partition: String?

        @Flag(name: .long, help: "Reload what is already loaded from unchanged sources.")
        var force = false

        @Flag(name: .long, help: "Print the plan; write nothing.")
        var dryRun = false

        func run() throws {
            do {
                let project = try global.openProject()
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
    }
}
