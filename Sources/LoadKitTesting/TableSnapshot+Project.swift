import Foundation
import LoadKitProject
import LoadKitSQLite

extension TableSnapshot {
    /// Reads a snapshot of `table` of `project` from the project's warehouse
    /// (`Project.warehouse`), grouped by the partition column its
    /// `loadkit.yml` declares. Reads only: a warehouse that does not exist yet is not created,
    /// and gives an empty snapshot, as does a table not loaded yet.
    ///
    /// ```swift
    /// let snapshot = try TableSnapshot.take("daily_delays", of: project)
    /// #expect(snapshot.partitions.count == 3)
    /// ```
    /// - Parameters:
    ///   - table: a table of the project's config.
    ///   - project: the project.
    /// - Throws: `ConfigError` for a table the config does not declare;
    ///   `SQLiteError` when the warehouse cannot be read.
    public static func take(_ table: String, of project: Project) throws -> TableSnapshot {
        let partitionColumn = try project.config.requireTable(table).partition?.column
        guard FileManager.default.fileExists(atPath: project.warehouse) else {
            return TableSnapshot(table: table, partitionColumn: partitionColumn, partitions: [:], rows: [], ledger: [])
        }
        return try take(table: table, partitionColumn: partitionColumn,
                        from: SQLiteDestination(readingOnly: project.warehouse))
    }
}
