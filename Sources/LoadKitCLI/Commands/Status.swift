import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit status`: per-partition state as a calendar, a grid or a list.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each partition's state: loaded, failed, missing or stale.",
            usage: """
                loadkit status --table <table> [--from <key>] [--to <key>]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Day partitions are drawn as a calendar per month, hour partitions as a grid \
                (a row per day, a cell per hour), months and years as a list. Stale means \
                loaded, but the source or the table's definition changed since. Colors only \
                on a terminal, never with NO_COLOR set.

                Without --from and --to, the range spans every partition loaded or \
                attempted. A key of a longer period means all of it: on an hour table \
                --from 2024-01-01 --to 2024-01-02 is every hour of both days.

                Examples:
                  loadkit status --table flights --from 2013-01-01 --to 2013-01-31
                  loadkit status --table flights --from 2013-01 --to 2013-01 --json

                --json prints {"table", "granularity", "partitions": [{"partition", \
                "state", "rows", "loadedAt", "error"}], "counts": {state: n}}.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("The first partition key.", valueName: "key"))
        var from: String?

        @Option(name: .long, help: ArgumentHelp("The last partition key.", valueName: "key"))
        var to: String?

        func run() throws {
            do {
                let project = try global.openProject()
                let report = try project.status(table, from: from, to: to)
                if global.json {
                    try JSONOutput.print(report)
                    return
                }
                let scheme = try project.config.requireTable(table).scheme!
                let partitions = try report.partitions.map { try scheme.partition(forKey: $0.partition) }
                let color = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
                print(StatusView(color: color).render(table: table, scheme: scheme, partitions: partitions,
                                                      states: report.partitions), terminator: "")
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
