import LoadKit

/// A partition replace that writes each row once, straight into the target table, inside one
/// `BEGIN IMMEDIATE` transaction on the warehouse (``WriteStrategy/direct``).
///
/// The transaction opens with the first partition started (or the first row), on the thread
/// that writes the rows, waiting up to the busy timeout (`lock_timeout`) for the warehouse's
/// write lock while the loader's other thread goes on parsing into the pipeline's bounded
/// queue (a small input is parsed whole before its first row is written); it holds that lock
/// until ``commit(ledger:beforeCommit:)`` or ``abort()``. Writers of one process take turns
/// at that lock through ``SQLiteWriteGate`` first, so one wakes the moment the other ends. In it:
/// each partition's old rows are deleted when the partition starts (`DELETE … WHERE <partition
/// column> = ?`, through the partition index; the whole table for an unpartitioned one), the
/// rows are inserted with one prepared `INSERT`, the ledger entries are upserted, then
/// `COMMIT`. SQLite's atomic commit makes it all or nothing: a crash (kill -9) or an error
/// before `COMMIT` leaves the target and the ledger exactly as they were, the write-ahead log's
/// uncommitted frames being ignored by every reader and the next writer. No staging table, no
/// TEMP file. https://www.sqlite.org/lang_transaction.html,
/// https://www.sqlite.org/atomiccommit.html, https://www.sqlite.org/wal.html
final class SQLiteReplaceWriter: PartitionReplaceWriter {
    private let connection: SQLiteConnection
    private let warehouse: String
    private let insertStatement: SQLiteStatement
    private let deletePartition: SQLiteStatement?
    /// Prepared with the others, before the write lock is taken: the commit holds that lock.
    private let upsertLedger: SQLiteStatement
    private let deleteAll: String
    private let text = RowTextBuffer()
    private let gate: SQLiteWriteGate
    private var inGate = false
    /// The connection's `synchronous` level before the transaction (restored after it), when
    /// the transaction runs with `NORMAL` (see ``begin()``).
    private var restoreSynchronous: Int64?
    private var state = State.notBegun

    private enum State { case notBegun, open, ended }

    /// Prepares the statements; the transaction begins with the first partition or row.
    /// - Throws: ``SQLiteError`` when the table cannot be written (it does not exist).
    init(connection: SQLiteConnection, table: TargetTable, warehouse: String) throws {
        self.connection = connection
        self.warehouse = warehouse
        self.gate = SQLiteWriteGate.forWarehouse(warehouse)
        let name = "main." + Identifier.quoted(table.name)
        let columns = table.storedColumns
        self.deleteAll = "DELETE FROM \(name)"
        do {
            insertStatement = try connection.prepare("INSERT INTO \(name) ("
                + columns.map { Identifier.quoted($0.name) }.joined(separator: ", ") + ") VALUES ("
                + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")")
            upsertLedger = try connection.prepare(SQLiteCatalog.upsertLedger)
            deletePartition = try table.partitioning.map {
                try connection.prepare("DELETE FROM \(name) WHERE \(Identifier.quoted($0.column)) = ?")
            }
        } catch {
            throw Self.explain(error, connection: connection, warehouse: warehouse)
        }
    }

    /// Opens the transaction unless it is open.
    /// - Throws: ``LoadKitError`` `resource.locked` (transient) when the write lock stays busy
    ///   past the busy timeout, or another ``SQLiteResourceFault``; else ``SQLiteError``.
    @inline(__always)
    private func begin() throws {
        guard state != .open else { return }
        guard state == .notBegun else {
            throw LoadKitError(.schema, "this replace of \(warehouse) has already ended")
        }
        do {
            try gate.pass(timeout: connection.busyTimeout)
        } catch {
            // Another writer of this process held the write lock for the whole busy timeout.
            throw explain(error)
        }
        inGate = true
        do {
            // The commit's sync moves out of the write lock: COMMIT with NORMAL (no fsync), then
            // ``commit(ledger:beforeCommit:)`` syncs the log itself after leaving the gate, while
            // the next writer's transaction already runs; a durable commit either way.
            let level = try connection.synchronousLevel()
            if level >= 2 {
                try connection.execute("PRAGMA synchronous=NORMAL")
                restoreSynchronous = level
            }
            try connection.execute("BEGIN IMMEDIATE")
        } catch {
            restoreSynchronousLevel()
            leaveGate()
            throw explain(error)
        }
        state = .open
    }

    private func restoreSynchronousLevel() {
        guard let level = restoreSynchronous else { return }
        restoreSynchronous = nil
        // Outside any transaction (after COMMIT or ROLLBACK), where the pragma cannot fail
        // but for misuse; a connection left at NORMAL would still never lose a commit to kill -9.
        try? connection.execute("PRAGMA synchronous=\(level)")
    }

    private func leaveGate() {
        if inGate {
            inGate = false
            gate.leave()
        }
    }

    /// Deletes the partition's rows (every row when `key` is `nil`) inside the transaction.
    /// - Throws: a ``SQLiteResourceFault`` or ``SQLiteError``.
    func replace(partition key: String?) throws {
        try begin()
        do {
            if let key, let deletePartition {
                try deletePartition.execute([.text(key)])
            } else {
                try connection.execute(deleteAll)
            }
        } catch {
            throw explain(error)
        }
    }

    /// - Throws: ``LoadKitError`` `resource.disk_full` naming the warehouse's folder when it
    ///   fills up (``SQLiteResourceFault``), else ``SQLiteError``.
    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        if state != .open { try begin() }
        insertStatement.reset()
        do {
            try insertStatement.bindRow(row, scratch: text)
            try insertStatement.step()
        } catch {
            throw explain(error)
        }
    }

    /// Upserts the ledger entries, runs `beforeCommit`, commits. On any error, rolls back
    /// first and rethrows it.
    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws {
        do {
            try begin()
            try SQLiteDestination.upsertLedger(ledger, with: upsertLedger)
            try beforeCommit()
            try connection.deferringCheckpoints { try connection.execute("COMMIT") }
            state = .ended
            let synced = restoreSynchronous != nil
            restoreSynchronousLevel()
            leaveGate()
            // Durable before the load is reported committed.
            if synced { try connection.syncWriteAheadLog() }
            connection.checkpointIfDue()
        } catch {
            abort()
            throw explain(error)
        }
    }

    func abort() {
        let wasOpen = state == .open
        state = .ended
        // SQLite may already have rolled back (for example after SQLITE_FULL).
        if wasOpen && !connection.isAutocommit { try? connection.execute("ROLLBACK") }
        restoreSynchronousLevel()
        leaveGate()
    }

    deinit { abort() }

    private func explain(_ error: any Error) -> any Error {
        Self.explain(error, connection: connection, warehouse: warehouse)
    }

    private static func explain(_ error: any Error, connection: SQLiteConnection, warehouse: String) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        return SQLiteResourceFault.explain(error, phase: .commit, warehouse: warehouse, busyTimeout: connection.busyTimeout)
    }
}
