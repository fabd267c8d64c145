import Foundation
import LoadKit

/// The load locks of a PostgreSQL warehouse: session-level advisory locks
/// (`pg_try_advisory_lock(bigint)`) on a connection of their own, opened on first use.
///
/// A lock named `key` (`partition <table> <key>`, `table <table>`, `load <load id>`, SPEC.md §3)
/// is the advisory lock ``PostgresLockKey`` of (schema, `_loadkit_lock`, key), so another
/// program can take the same one. It is held until released or until this connection ends, so a
/// process killed at any moment frees its locks when the server notices the connection gone
/// (at once for a closed socket; set `client_connection_check_interval` and TCP keepalives for
/// a vanished machine, see README). While held, a row in `_loadkit_leases` names the holder
/// (run, pid, host, since when) for a waiter's message. Session locks do not survive a pooler in
/// transaction mode (PgBouncer): connect loadkit to the server or to a session-mode pool.
/// PostgreSQL manual §9.27.10 "Advisory Lock Functions".
final class PostgresLocks: @unchecked Sendable {
    private let uri: String
    private let schema: String
    private let location: String
    private var connection: PGConnection?
    private var held: [String: String] = [:]
    private let mutex = NSLock()
    private let host = ProcessInfo.processInfo.hostName
    private let pid = getpid()

    init(uri: String, schema: String, location: String) {
        self.uri = uri
        self.schema = schema
        self.location = location
    }

    /// The lock connection, opened and its catalog prepared on first use.
    private func lockConnection() throws -> PGConnection {
        if let connection { return connection }
        let opened = try PostgresDestination.connect(uri)
        try PostgresCatalog.prepare(on: opened, schema: schema)
        connection = opened
        return opened
    }

    /// The advisory lock key of a lock name.
    static func key(schema: String, name: String) -> PostgresLockKey {
        PostgresLockKey(schema: schema, table: "_loadkit_lock", partition: name)
    }

    /// Takes the lock, polling every 20 ms until `timeout` (zero: one try).
    /// - Throws: ``LoadKitError`` `.locked` (transient) naming the holder, as on SQLite;
    ///   ``PostgresError`` when the server fails.
    func acquire(_ name: String, runID: String, timeout: Duration) throws {
        mutex.lock()
        defer { mutex.unlock() }
        let db = try lockConnection()
        let key = Self.key(schema: schema, name: name).description
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while try db.scalar("SELECT pg_try_advisory_lock($1)", [key]) != "t" {
            if clock.now >= deadline {
                let holder = try db.scalar("SELECT holder FROM \(PostgresDialect.qualified(schema, "_loadkit_leases")) WHERE lock_key = $1",
                                           [key]) ?? ""
                throw LoadKitError.lockTimedOut(name, holder: holder, waited: timeout)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let token = UUID().uuidString.lowercased()
        let since = CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
        try db.execute("""
            INSERT INTO \(PostgresDialect.qualified(schema, "_loadkit_leases"))
                (lock_key, owner_run_id, token, holder, acquired_at, heartbeat_at, expires_at)
            VALUES ($1, $2, $3, $4, now(), now(), 'infinity')
            ON CONFLICT (lock_key) DO UPDATE SET owner_run_id = excluded.owner_run_id, token = excluded.token,
                holder = excluded.holder, acquired_at = now(), heartbeat_at = now(), expires_at = 'infinity'
            """, [key, runID, token, "run \(runID) (pid \(pid) on \(host), since \(since))"])
        held[name] = token
    }

    /// Releases a lock taken by ``acquire(_:runID:timeout:)`` and deletes its lease row.
    /// - Throws: ``PostgresError``.
    func release(_ name: String, runID: String) throws {
        mutex.lock()
        defer { mutex.unlock() }
        guard let token = held.removeValue(forKey: name), let db = connection else { return }
        let key = Self.key(schema: schema, name: name).description
        try db.execute("DELETE FROM \(PostgresDialect.qualified(schema, "_loadkit_leases")) WHERE lock_key = $1 AND token = $2",
                       [key, token])
        try db.execute("SELECT pg_advisory_unlock($1)", [key])
    }
}
