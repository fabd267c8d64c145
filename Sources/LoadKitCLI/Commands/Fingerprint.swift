import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit fingerprint`: the order-independent fingerprint and row count of a table or partition.
    struct Fingerprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the order-independent fingerprint and row count of a table.",
            usage: """
                loadkit fingerprint --table <table> [--partition <key>]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                The fingerprint is a multiset hash of the stored rows (all columns) of the \
                table, or of one partition with --partition: row order does not change it, \
                a duplicated row does. Equal fingerprints mean equal contents.

                Examples:
                  loadkit fingerprint --table flights --partition 2013-01-05
                  loadkit fingerprint --table airlines --json

                --json prints {"table", "partition", "rows", "fingerprint"}.

                Exit codes: 0 printed, 1 the table does not exist, 64 a usage or config \
                error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("One partition's key.", valueName: "key"))
        var partition: String?

        func run() throws {
            do {
                let report = try global.openProject().fingerprint(table, partition: partition)
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    print("\(table)\(report.partition.map { " \($0)" } ?? ""): \(Count.of(report.rows, "row")), fingerprint \(report.fingerprint)")
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
