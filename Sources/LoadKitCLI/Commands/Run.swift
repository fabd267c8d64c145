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
                let config = try global.loadConfig()
                let pipeline = try Pipeline(config: config)
                let schemes = Set(config.tables.compactMap(\.scheme))
                guard schemes.count <= 1 else {
                    throw UsageError("`loadkit run` needs all partitioned tables to share one granularity and "
                        + "time zone; these differ: " + config.tables.filter { $0.scheme != nil }
                            .map { "\($0.name) (\($0.scheme!.granularity.rawValue), \($0.scheme!.timeZone.identifier))" }
                            .joined(separator: ", ") + ". Use `loadkit backfill --table T` per table")
                }
                var partitions: [Partition] = []
                if let scheme = schemes.first {
                    partitions = [try partition.map { try scheme.partition(forKey: $0) } ?? scheme.lastComplete(before: try WallClock.now())]
                } else if partition != nil {
                    throw UsageError("no table is partitioned; run without --partition")
                }
                let plan = RunPlan(graph: pipeline.graph, tasks: Set(config.tables.map(\.name)), partitions: partitions)
                let title = "run" + (partitions.first.map { " \($0.key)" } ?? "")
                if dryRun {
                    if try DryRun.print(plan, pipeline: pipeline, force: force, table: "*", json: global.json) {
                        throw ExitCode(ExitStatus.failure)
                    }
                    return
                }
                let runner = try pipeline.runner(force: force)
                if !global.quiet { runner.observer = ProgressLine(label: title) }
                SignalHandling.install(cancelling: runner)
                let summary = try runner.run(plan, command: "run", arguments: Array(CommandLine.arguments.dropFirst()))
                try RunOutput.finish(summary, title: title, config: config, json: global.json)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
