import Foundation
import LoadKit

extension SQLiteDestination {
    /// Undoes one append load: deletes the rows of `table` whose `_loadkit_load_id` is `loadID`
    /// and that load id's ledger entry, in one `BEGIN IMMEDIATE` transaction, holding the load
    /// id's lock like a load.
    ///
    /// Afterwards the next load of that load id is a first append again. `loadkit verify` uses
    /// it before each crash step of an append table, so that the injected crash hits a first
    /// append (the moment a crash could append twice), not a rerun that stops at "already
    /// loaded" before the transaction. Rows of other load ids are untouched.
    ///
    /// A crash during the transaction leaves everything as it was (SQLite's journal); after it,
    /// the load id is simply not loaded, as before its first load. `_loadkit_runs` and
    /// `_loadkit_attempts` are not touched.
    ///
    /// ```swift
    /// let removed = try destination.removeLoad(table: "events", loadID: "lk1_…", runID: runID,
    ///                                          lockTimeout: .seconds(60))
    /// ```
    /// - Parameters:
    ///   - table: the target table (an append table).
    ///   - loadID: the load id (`lk1_` and 32 hex digits).
    ///   - runID: the run that takes the lock (named to a waiting load).
    ///   - lockTimeout: how long to wait for another run holding the load id's lock.
    /// - Returns: the number of rows deleted.
    /// - Throws: ``LoadKitError`` `.schema` when the table has no `_loadkit_load_id` column, the
    ///   lock's error (`.locked`, transient) when another run holds it past `lockTimeout`;
    ///   ``SQLiteError`` from SQLite. https://www.sqlite.org/lang_delete.html
    @discardableResult
    public func removeLoad(table: String, loadID: String, runID: String, lockTimeout: Duration) throws -> Int {
        try prepareCatalog()
        guard try existingColumns(of: table).contains(where: { $0.name == TargetTable.loadIDColumn }) else {
            throw LoadKitError(.schema, "table '\(table)' has no \(TargetTable.loadIDColumn) column: it is not an append table")
        }
        try acquireLock(loadID, runID: runID, timeout: lockTimeout)
        defer { try? releaseLock(loadID, runID: runID) }
        return try connection.transaction {
            let quoted = Identifier.quoted(table)
            let column = Identifier.quoted(TargetTable.loadIDColumn)
            let count = try connection.scalar("SELECT count(*) FROM \(quoted) WHERE \(column) = ?", [.text(loadID)])
            try connection.prepare("DELETE FROM \(quoted) WHERE \(column) = ?").execute([.text(loadID)])
            try connection.prepare("DELETE FROM _loadkit_ledger WHERE table_name = ? AND load_id = ?")
                .execute([.text(table), .text(loadID)])
            if case .integer(let n) = count { return Int(n) }
            return 0
        }
    }
}
