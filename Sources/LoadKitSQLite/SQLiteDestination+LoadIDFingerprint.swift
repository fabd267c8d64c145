import Foundation
import LoadKit

extension SQLiteDestination {
    /// The fingerprint of the rows one append load wrote: the rows of `table` whose
    /// `_loadkit_load_id` is `loadID`, optionally only those of one partition.
    ///
    /// This is what the ledger entry of an append records (one entry per load id, its
    /// `fingerprint` being that of the rows as stored, `_loadkit_load_id` included), so comparing
    /// the two checks one append without the rows other loads appended to the same partition
    /// (`loadkit verify` does). The row encoding and the sum are those of
    /// ``fingerprint(table:partitionColumn:partition:)``; rows are read through the index on
    /// `_loadkit_load_id` that every append table has. Reads only.
    ///
    /// ```swift
    /// let mine = try destination.fingerprint(table: "events", loadID: "lk1_…",
    ///                                        partitionColumn: "day", partition: "2024-03-02")
    /// ```
    /// - Parameters:
    ///   - table: the target table (an append table).
    ///   - loadID: the load id (`lk1_` and 32 hex digits).
    ///   - partitionColumn: the table's partition key column; needed with `partition`.
    ///   - partition: a partition key, or `nil` for every row of the load id.
    ///   - version: the per-row hash; the current one unless comparing with an older entry.
    /// - Returns: the fingerprint and row count; empty when no row carries `loadID`.
    /// - Throws: ``LoadKitError`` `.noSuchTable` when the table does not exist, `.schema` when it
    ///   has no `_loadkit_load_id` column (not an append table), `.partitionKey` for a partition
    ///   without a partition column; ``SQLiteError`` from SQLite.
    ///   https://www.sqlite.org/lang_select.html
    public func fingerprint(table: String, loadID: String, partitionColumn: String?,
                            partition: String?, version: Fingerprint.Version = .current) throws -> Fingerprint {
        let columns = try existingColumns(of: table)
        if columns.isEmpty {
            throw LoadKitError(.noSuchTable, "table '\(table)' does not exist in \(path); load it first")
        }
        guard columns.contains(where: { $0.name == TargetTable.loadIDColumn }) else {
            throw LoadKitError(.schema, "table '\(table)' has no \(TargetTable.loadIDColumn) column: it is not an append table")
        }
        var sql = "SELECT * FROM \(Identifier.quoted(table)) WHERE \(Identifier.quoted(TargetTable.loadIDColumn)) = ?"
        var bindings: [Value] = [.text(loadID)]
        if let partition {
            guard let partitionColumn else {
                throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned; fingerprint it without a partition")
            }
            sql += " AND \(Identifier.quoted(partitionColumn)) = ?"
            bindings.append(.text(partition))
        }
        return try fingerprintRows(sql, bindings, version: version)
    }
}
