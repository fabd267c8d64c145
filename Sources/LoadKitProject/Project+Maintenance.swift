import Foundation
import LoadKit
import LoadKitSQLite

/// What `gc` found and removed: `{"dryRun", "dropped", "inUse", "lockFiles"}`.
public struct GarbageReport: Codable, Sendable, Equatable {
    /// Whether it only listed (nothing was removed).
    public var dryRun: Bool
    /// Leftover staging tables of crashed loads, dropped (or to drop).
    public var dropped: [String]
    /// Staging tables kept because a running load holds them.
    public var inUse: [String]
    /// Lock files no process holds, deleted (or to delete).
    public var lockFiles: [String]
}

/// What `check` read: `{"table", "rows", "files": [{"file", "rows", "error"}], "ok"}`.
public struct CheckReport: Codable, Sendable, Equatable {
    /// One file's result.
    public struct File: Codable, Sendable, Equatable {
        /// The file as named.
        public var file: String
        /// Typed rows read (up to the error), in rows.
        public var rows: Int
        /// The first error with file, line and column, if any.
        public var error: String?
    }
    /// The table whose schema was used.
    public var table: String
    /// Typed rows in all files, in rows.
    public var rows: Int
    /// Each file, in the order given.
    public var files: [File]
    /// Whether every file was read without an error.
    public var ok: Bool
}

extension Project {
    /// Drops leftover staging tables that no running load holds and deletes unused lock files,
    /// as `loadkit gc`. Never creates the warehouse.
    /// - Parameter dryRun: only list what would be removed.
    public func collectGarbage(dryRun: Bool = false) throws -> GarbageReport {
        guard let destination = try Warehouse(config: config).existing() else {
            return GarbageReport(dryRun: dryRun, dropped: [], inUse: [], lockFiles: [])
        }
        let staging = try destination.stagingTables()
        let orphans = staging.filter { !$0.inUse }.map(\.name)
        if !dryRun {
            for name in orphans { try destination.dropStaging(name) }
        }
        let lockFiles = destination.unusedLockFiles()
        if !dryRun { lockFiles.forEach(destination.removeLockFile) }
        return GarbageReport(dryRun: dryRun, dropped: orphans, inUse: staging.filter(\.inUse).map(\.name),
                             lockFiles: lockFiles)
    }

    /// Reads input files with `table`'s schema and options without loading them, as
    /// `loadkit check`: each file's typed row count or its first error (file, line, column,
    /// reason).
    /// - Parameters:
    ///   - table: a file-sourced table of the config.
    ///   - files: the files; empty means an unpartitioned table's own source.
    /// - Throws: ``UsageError`` for a transform, or a partitioned table without files.
    public func check(_ table: String, files: [String] = []) throws -> CheckReport {
        let tableConfig = try config.requireTable(table)
        guard let source = tableConfig.source, let schema = tableConfig.schema else {
            throw UsageError("table '\(table)' is a SQL transform; it has no input files to check")
        }
        var paths = files
        if paths.isEmpty {
            guard tableConfig.partition == nil else {
                throw UsageError("table '\(table)' is partitioned: name the files to check")
            }
            paths = [source.path]
        }
        var reports: [CheckReport.File] = []
        var row: [Value] = []
        for path in paths {
            var count = 0
            do {
                let format = files.isEmpty ? source.format : SourceFormat.inferred(fromPath: path)
                let rows = try format.open(path, schema: schema, options: source.options)
                while try rows.next(into: &row) { count += 1 }
                reports.append(CheckReport.File(file: path, rows: count))
            } catch let error as LoadKitError where error.code != .schema {
                reports.append(CheckReport.File(file: path, rows: count, error: error.description))
            }
        }
        return CheckReport(table: table, rows: reports.reduce(0) { $0 + $1.rows }, files: reports,
                           ok: reports.allSatisfy { $0.error == nil })
    }
}
