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
                loadkit status --check [--table <table>]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Day partitions are drawn as a calendar per month, hour partitions as a grid \
                (a row per day, a cell per hour), months and years as a list. Stale means \
                loaded, but the source or the table's definition changed since. Colors only \
                on a terminal, never with NO_COLOR set.

                Without --from and --to, the range spans every partition loaded or \
                attempted. A key of a longer period means all of it: on an hour table \
                --from 2024-01-01 --to 2024-01-02 is every hour of both days. A scheduled \
                table's range starts at its schedule's start; its due partitions not loaded \
                are waiting (source not there yet) or late (past expected_by).

                --check prints nothing but the problems and exits 1 when a partition in range \
                is failed or late, else 0: for monitors. Without --table it checks every \
                partitioned table.

                Examples:
                  loadkit status --table flights --from 2013-01-01 --to 2013-01-31
                  loadkit status --table flights --from 2013-01 --to 2013-01 --json
                  loadkit status --check

                --json prints {"table", "granularity", "partitions": [{"partition", \
                "state", "rows", "loadedAt", "error"}], "counts": {state: n}}; with --check, \
                {"ok", "problems": [{"table", "partition", "state", "error"}]}.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table.")
        var table: String?

        @Flag(name: .long, help: "Exit 1 when a partition in range is failed or late (for monitors).")
        var check = false

        @Option(name: .long, help: ArgumentHelp("The first partition key.", valueName: "key"))
        var from: String?

        @Option(name: .long, help: ArgumentHelp("The last partition key.", valueName: "key"))
        var to: String?

        func validate() throws {
            if table == nil && !check { throw ValidationError("Missing expected argument '--table <table>'") }
            if check && (from != nil || to != nil) {
                throw ValidationError("--check covers each table's own range; leave out --from and --to")
            }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                if check { return try runCheck(project) }
                let table = table!
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
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }

        /// `status --check`: the problems, exit 1 when there is any.
        private func runCheck(_ project: Project) throws {
            let result = try project.check(table)
            if global.json {
                try JSONOutput.print(result)
            } else {
                for p in result.problems {
                    print("\(p.state) \(p.table) \(p.partition)" + (p.error.map { ": \($0)" } ?? ""))
                }
                if result.ok && !global.quiet { print("ok: nothing failed or late") }
            }
            if !result.ok { throw ExitCode(ExitStatus.failure) }
        }
    }
}
