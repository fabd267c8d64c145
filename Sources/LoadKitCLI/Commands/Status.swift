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

        struct Report: Encodable {
            var table: String
            var granularity: String
            var partitions: [PartitionStatus]
            var counts: [String: Int]
        }

        func run() throws {
            do {
                let config = try global.loadConfig()
                let tableConfig = try config.requireTable(table)
                guard let scheme = tableConfig.scheme else {
                    throw UsageError("table '\(table)' is not partitioned; `loadkit fingerprint --table \(table)` "
                        + "and `loadkit runs` show its state")
                }
                let partitions = try range(scheme, config: config)
                let states = try PartitionStates.compute(table: tableConfig, partitions: partitions, config: config)
                let counts = Dictionary(grouping: states, by: { $0.state.rawValue }).mapValues(\.count)
                if global.json {
                    FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(
                        Report(table: table, granularity: scheme.granularity.rawValue, partitions: states, counts: counts)))
                    print()
                    return
                }
                let color = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
                print(StatusView(color: color).render(table: table, scheme: scheme, partitions: partitions, states: states),
                      terminator: "")
            } catch {
                throw ExitStatus.report(error)
            }
        }

        private func range(_ scheme: PartitionScheme, config: LoadKitConfig) throws -> [Partition] {
            if let from {
                return try BackfillRange.partitions(scheme, from: from, to: to, now: try WallClock.now())
            }
            let known = try PartitionStates.knownKeys(table: table, config: config)
                .compactMap { try? scheme.partition(forKey: $0) }.sorted()
            guard let first = known.first, let last = known.last else { return [] }
            let end = try to.map { try BackfillRange.lastPartition(scheme, forKey: $0) } ?? last
            return scheme.partitions(from: first, through: end)
        }
    }
}
