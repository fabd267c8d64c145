import LoadKit

extension SQLiteConnection {
    /// How a transaction takes its locks (https://www.sqlite.org/lang_transaction.html).
    public enum TransactionKind: String, Sendable {
        /// Takes no lock until the first read or write.
        case deferred = "DEFERRED"
        /// Takes the write lock at `BEGIN`, waiting up to the busy timeout: the kind every write
        /// uses, because a deferred transaction that upgrades to a write can fail with
        /// `SQLITE_BUSY` that no busy timeout can save.
        case immediate = "IMMEDIATE"
        /// Like immediate; in WAL mode the same.
        case exclusive = "EXCLUSIVE"
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// A crash at any point inside leaves the database as it was before `BEGIN` (SQLite's
    /// atomic commit, https://www.sqlite.org/atomiccommit.html).
    /// - Parameters:
    ///   - kind: the lock behaviour; `.immediate` by default.
    ///   - body: the work; its result is returned after the commit.
    /// - Throws: the first error: `body`'s, or ``SQLiteError`` from `BEGIN`/`COMMIT` (a busy
    ///   `BEGIN` is transient). A failed rollback never hides the original error.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try execute("BEGIN \(kind.rawValue)")
        let result: T
        do {
            result = try body()
            try execute("COMMIT")
        } catch {
            // SQLite may already have rolled back (for example after SQLITE_FULL).
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
        return result
    }

    /// Runs `body` inside a savepoint: released when it returns, rolled back to (and released)
    /// when it throws, leaving the enclosing transaction open and unchanged by `body`.
    ///
    /// - Parameters:
    ///   - name: the savepoint name (validated and quoted as an identifier).
    ///   - body: the work.
    /// - Throws: the first error: `body`'s, or ``SQLiteError``.
    ///   https://www.sqlite.org/lang_savepoint.html
    public func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try Identifier.validate(name, what: "savepoint name")
        let quoted = Identifier.quoted(name)
        try execute("SAVEPOINT \(quoted)")
        let result: T
        do {
            result = try body()
            try execute("RELEASE \(quoted)")
        } catch {
            try? execute("ROLLBACK TO \(quoted)")
            try? execute("RELEASE \(quoted)")
            throw error
        }
        return result
    }
}
