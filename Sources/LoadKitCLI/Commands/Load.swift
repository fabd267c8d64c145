import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject
import LoadKitSQLite

extension LoadKitCommand {
    /// `loadkit load`: one load of one table.
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load one partition, one input file, or a whole unpartitioned table.",
            usage: """
                loadkit load --table <table> [--partition <key> | --input <file>]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                --partition KEY  static partition replace (or append) from the source template
                --input FILE     replace table: dynamic load, replacing exactly the partitions
                                 present in FILE; append table: append FILE once
                (neither)        unpartitioned table: replace the whole table from its source

                Examples:
                  loadkit load --table flights --partition 2013-01-05
                  loadkit load --table flights --input flights.csv
                  loadkit load --table airlines

                Exit codes: 0 loaded (or nothing to do), 1 the load failed, 64 a usage error \
                or a config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table to load.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("The partition key to load (e.g. 2013-01-05).", valueName: "key"))
        var partition: String?

        @Option(name: .long, help: ArgumentHelp("An input file for a dynamic load or an append.", valueName: "file"))
        var input: String?

        struct Report: Encodable {
            var table: String
            var status: String
            var loadID: String
            var rowsRead: Int
            var rowsSkipped: Int
            var rowsWritten: Int
            var partitions: [PartitionReport]
            var sourceFingerprint: String
            var seconds: Seconds
        }

        struct Seconds: Encodable {
            var staging: Double
            var commit: Double
        }

        struct PartitionReport: Encodable {
            var partition: String?
            var rows: Int
            var fingerprint: String
        }

        func validate() throws {
            if partition != nil && input != nil {
                throw ValidationError("give --partition or --input, not both")
            }
        }

        func run() throws {
            do {
                let config = try global.loadConfig()
                let tableConfig = try config.requireTable(table)
                let result = try Self.loadRecorded(config: config, table: tableConfig, partition: partition, input: input)
                let report = Report(table: result.table, status: result.status.rawValue, loadID: result.loadID,
                                    rowsRead: result.rowsRead, rowsSkipped: result.rowsSkipped,
                                    rowsWritten: result.rowsWritten,
                                    partitions: result.entries.map {
                                        PartitionReport(partition: $0.partitionKey, rows: $0.fingerprint.rows,
                                                        fingerprint: $0.fingerprint.hex)
                                    },
                                    sourceFingerprint: result.sourceFingerprint,
                                    seconds: Seconds(staging: result.stagingSeconds, commit: result.commitSeconds))
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    print(Self.summary(result))
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }

        /// Runs the load as a one-item run of the configured pipeline, so it is recorded in
        /// `_loadkit_runs` (with its plan: the table, the partition or the input file) and
        /// `_loadkit_attempts`, retried by the table's retry policy like any task, and loads a
        /// transform exactly as a backfill does (the same source fingerprint).
        static func loadRecorded(config: LoadKitConfig, table: LoadKitConfig.TableConfig, partition: String?,
                                 input: String?) throws -> LoadResult {
            let item = try item(config: config, table: table, partition: partition, input: input)
            let pipeline = try Pipeline(config: config)
            let runner = try pipeline.runner(concurrency: 1, force: true)
            let box = ResultBox()
            runner.observer = box
            SignalHandling.install(cancelling: runner)
            let command = ProcessInfo.processInfo.environment["LOADKIT_RUN_COMMAND"] ?? "load"
            let summary = try runner.run(RunPlan(items: [item]), command: command,
                                         arguments: Array(CommandLine.arguments.dropFirst()))
            if let result = box.get(), summary.status == .success { return result }
            throw LoadFailed(message: summary.items.first?.message ?? "the load did not finish (\(summary.status.rawValue))",
                             error: summary.items.first?.error)
        }

        /// The run item of `load --table T [--partition KEY | --input FILE]`.
        /// - Throws: a usage error for flags that do not fit the table; ``LoadKitError``
        ///   `.partitionKey` for a malformed key.
        static func item(config: LoadKitConfig, table: LoadKitConfig.TableConfig, partition: String?,
                         input: String?) throws -> RunPlan.Item {
            if let input {
                guard table.sql == nil else {
                    throw UsageError("table '\(table.name)' is a SQL transform; it takes no --input")
                }
                // The path the load opens, absolute, so a rerun from another folder finds it.
                return RunPlan.Item(task: table.name, partition: nil, input: InputIdentity.canonicalPath(input))
            }
            if let key = try table.partitionKey(partition) {
                return RunPlan.Item(task: table.name, partition: try table.scheme!.partition(forKey: key))
            }
            guard table.partition == nil else {
                throw UsageError("table '\(table.name)' is partitioned: give --partition KEY or --input FILE")
            }
            return RunPlan.Item(task: table.name, partition: nil)
        }

        final class ResultBox: RunObserver, @unchecked Sendable {
            private let lock = NSLock()
            private var result: LoadResult?
            func runProgressed(_ progress: RunProgress) {}
            func loaded(_ result: LoadResult, item: RunPlan.Item) { lock.withLock { self.result = result } }
            func get() -> LoadResult? { lock.withLock { result } }
        }

        /// The load's own error, already recorded with its attempts.
        struct LoadFailed: Error, CustomStringConvertible {
            let message: String
            /// The load's error with its code and location, when it was a ``LoadKitError``.
            var error: LoadKitError? = nil
            var description: String { message }
        }

        static func summary(_ result: LoadResult) -> String {
            let partitions = result.entries.compactMap(\.partitionKey)
            let scope: String
            switch partitions.count {
            case 0: scope = ""
            case 1: scope = " partition \(partitions[0])"
            default: scope = " \(partitions.count) partitions (\(partitions.first!) … \(partitions.last!))"
            }
            switch result.status {
            case .loaded:
                var text = "\(result.table)\(scope): loaded \(Count.of(result.rowsWritten, "row"))"
                if result.rowsSkipped > 0 { text += ", skipped \(Count.of(result.rowsSkipped, "row")) of other partitions" }
                return text
            case .alreadyLoaded:
                return "\(result.table)\(scope): already loaded with the same content; nothing changed"
            case .nothingToLoad:
                return "\(result.table): the input has no rows; nothing to load, nothing changed"
            }
        }
    }
}
