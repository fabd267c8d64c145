import CLoadKitPQ
import LoadKit

extension PGConnection {
    /// Runs `body` in one transaction: `BEGIN`, then `COMMIT` when it returns or `ROLLBACK`
    /// when it throws (rethrowing the first error; a failed rollback is left to the server, which
    /// rolls back when the connection closes). Inside an open transaction (a staged load's) it
    /// joins that one instead: a second `BEGIN` would only warn, and its `COMMIT` would end the
    /// outer transaction early. PostgreSQL manual §3.4 "Transactions".
    /// - Throws: what `body` throws, or ``PostgresError`` from `BEGIN`/`COMMIT`.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// Whether a transaction is open on this connection (`PQtransactionStatus`, PostgreSQL
    /// manual §34.2 "Connection Status Functions").
    public var isInTransaction: Bool {
        let status = pq.PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Runs `body` inside a savepoint of the open transaction: on error it rolls back to the
    /// savepoint (the transaction stays usable) and rethrows. PostgreSQL manual, SAVEPOINT.
    /// - Parameter name: the savepoint's name, an SQL identifier.
    /// - Throws: what `body` throws, or ``PostgresError``.
    public func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body()
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            _ = try? execute("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
    }
}
