import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject
import LoadKitSQLite

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

        struct Report: Encodable {
            var table: String
            var partition: String?
            var rows: Int
            var fingerprint: String

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(table, forKey: .table)
                try c.encode(partition, forKey: .partition)  // null, not absent, for the whole table
                try c.encode(rows, forKey: .rows)
                try c.encode(fingerprint, forKey: .fingerprint)
            }
            enum CodingKeys: String, CodingKey { case table, partition, rows, fingerprint }
        }

        func run() throws {
            do {
                let config = try global.loadConfig()
                let tableConfig = try config.requireTable(table)
                let key = try tableConfig.partitionKey(partition)
                let destination = try LoadKitSQLiteDestinationFactory.open(config)
                let fingerprint = try destination.fingerprint(table: table, partitionColumn: tableConfig.partition?.column,
                                                              partition: key)
                let report = Report(table: table, partition: key, rows: fingerprint.rows, fingerprint: fingerprint.hex)
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    print("\(table)\(key.map { " \($0)" } ?? ""): \(fingerprint.rows) rows, fingerprint \(fingerprint.hex)")
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
