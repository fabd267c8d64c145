import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit check`: read input files with a table's declared schema and report typed row
    /// counts, writing nothing.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate input files against a table's schema without loading them.",
            usage: """
                loadkit check --table <table> [<file> ...]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Every row is parsed with the table's declared columns, null tokens and time \
                zone, exactly as a load would; the first bad value stops the file with its \
                line and column. Nothing is written to the warehouse. With no files, an \
                unpartitioned table's own source file is checked.

                Examples:
                  cd Examples/flights
                  loadkit check --table flights data/flights-2013-01-0*.csv
                  loadkit check --table airlines --json

                Exit codes: 0 all rows valid, 1 a file has a bad row, 64 a usage error or a \
                config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table whose schema the files are read with.")
        var table: String

        @Argument(help: ArgumentHelp("Input files (CSV or JSON Lines, optionally .gz).", valueName: "file"))
        var files: [String] = []

        func run() throws {
            do {
                let report = try global.openProject().check(table, files: files)
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    for file in report.files {
                        if let error = file.error {
                            print("\(file.file): FAILED after \(Count.of(file.rows, "row")): \(error)")
                        } else {
                            print("\(file.file): \(Count.of(file.rows, "row"))")
                        }
                    }
                    let failed = report.files.filter { $0.error != nil }.count
                    print("\(report.table): \(Count.of(report.rows, "typed row")) in \(Count.of(report.files.count, "file"))"
                        + (failed > 0 ? ", \(failed) failed" : ", all valid"))
                }
                if !report.ok { throw ExitCode(ExitStatus.failure) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
