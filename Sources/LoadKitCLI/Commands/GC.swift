import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit gc`: drop staging tables that crashed runs left behind.
    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Drop staging tables left behind by crashed runs.",
            usage: """
                loadkit gc [--dry-run]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                On SQLite, staging tables are TEMP tables that vanish with their \
                connection, so a crashed run leaves none; gc then only deletes the lock \
                files that no running load uses (a killed run's holder file). Server \
                destinations keep real staging tables; gc drops those whose load is not \
                running.

                Examples:
                  loadkit gc --dry-run
                  loadkit gc --json

                --json prints {"dryRun", "dropped": [name], "inUse": [name], "lockFiles": \
                [name]}: staging tables and lock files by name.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "List what would be dropped; drop nothing.")
        var dryRun = false

        func run() throws {
            do {
                let project = try global.openProject()
                let report = try project.collectGarbage(dryRun: dryRun)
                if global.json {
                    try JSONOutput.print(report)
                    return
                }
                guard project.warehouseExists else {
                    print("no warehouse at \(project.warehouseDisplayName) yet; nothing to collect")
                    return
                }
                let orphans = report.dropped, lockFiles = report.lockFiles
                let verb = dryRun ? "would drop" : "dropped"
                print(orphans.isEmpty ? "no leftover staging tables"
                    : "\(verb) \(orphans.count) staging table\(orphans.count == 1 ? "" : "s"): \(orphans.joined(separator: ", "))")
                if !report.inUse.isEmpty { print("kept \(report.inUse.count) in use by running loads") }
                if !lockFiles.isEmpty {
                    print("\(dryRun ? "would delete" : "deleted") \(lockFiles.count) unused lock file\(lockFiles.count == 1 ? "" : "s")")
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
