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
            discussion: """
                Every row is parsed with the table's declared columns, null tokens and time zone,
                exactly as a load would; the first bad value stops the file with its line and
                column. Nothing is written to the warehouse.

                Examples:
                  loadkit check --config Examples/flights/loadkit.yml --table flights \\
                      Examples/flights/data/flights-2013-01-*.csv

                With no files, an unpartitioned table's own source file is checked.
                Exit codes: 0 all rows valid, 1 a file has a bad row, 64 usage or config error.
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
                            print("\(file.file): FAILED after \(file.rows) rows: \(error)")
                        } else {
                            print("\(file.file): \(file.rows) rows")
                        }
                    }
                    let failed = report.files.filter { $0.error != nil }.count
                    print("\(report.table): \(report.rows) typed rows in \(report.files.count) files"
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
