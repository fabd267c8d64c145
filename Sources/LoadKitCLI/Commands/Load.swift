import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

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

        func validate() throws {
            if partition != nil && input != nil {
                throw ValidationError("give --partition or --input, not both")
            }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                SignalHandling.install(cancelling: project)
                let report = try project.load(table: table, partition: partition, input: input)
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    print(Self.summary(report))
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }

        static func summary(_ result: LoadReport) -> String {
            let partitions = result.partitions.compactMap(\.partition)
            let scope: String
            switch partitions.count {
            case 0: scope = ""
            case 1: scope = " partition \(partitions[0])"
            default: scope = " \(partitions.count) partitions (\(partitions.first!) … \(partitions.last!))"
            }
            switch LoadResult.Status(rawValue: result.status) ?? .loaded {
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
