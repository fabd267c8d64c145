import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject
import LoadKitSQLite

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
                connection, so a crashed run leaves none; gc then only deletes the load lock \
                files that no running load holds. Server destinations keep real staging \
                tables; gc drops those whose load is not running.

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

        struct Report: Encodable {
            var dryRun: Bool
            var dropped: [String]
            var inUse: [String]
            var lockFiles: [String]
        }

        func run() throws {
            do {
                let config = try global.loadConfig()
                guard FileManager.default.fileExists(atPath: config.warehouse) else {
                    if global.json { try JSONOutput.print(Report(dryRun: dryRun, dropped: [], inUse: [], lockFiles: [])) }
                    else { print("no warehouse at \(config.warehouse) yet; nothing to collect") }
                    return
                }
                let destination = try LoadKitSQLiteDestinationFactory.open(config)
                let staging = try destination.stagingTables()
                let orphans = staging.filter { !$0.inUse }.map(\.name)
                if !dryRun {
                    for name in orphans { try destination.dropStaging(name) }
                }
                let lockFiles = destination.unusedLockFiles()
                if !dryRun { lockFiles.forEach(destination.removeLockFile) }
                let report = Report(dryRun: dryRun, dropped: orphans, inUse: staging.filter(\.inUse).map(\.name),
                                    lockFiles: lockFiles)
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    let verb = dryRun ? "would drop" : "dropped"
                    print(orphans.isEmpty ? "no leftover staging tables"
                        : "\(verb) \(orphans.count) staging table\(orphans.count == 1 ? "" : "s"): \(orphans.joined(separator: ", "))")
                    if !report.inUse.isEmpty { print("kept \(report.inUse.count) in use by running loads") }
                    if !lockFiles.isEmpty {
                        print("\(dryRun ? "would delete" : "deleted") \(lockFiles.count) unused lock file\(lockFiles.count == 1 ? "" : "s")")
                    }
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
