import Foundation
import LoadKit

/// The load locks of a PostgreSQL warehouse (SPEC.md §7): lease rows in `_loadkit_leases`,
/// renewed by a heartbeat while held and checked again inside every commit.
///
/// A lock named `name` (`partition <table> <key>`, `table <table>`, `load <load id>`, SPEC.md §3;
/// `build <build table>` for a swap's build table) is the row whose `lock_key` is the decimal
/// ``PostgresLockKey`` of (schema, `_loadkit_lock`, name). Its columns: `owner_run_id`, `token`
/// (a random UUID per acquisition), `holder` (`run … (pid … on host, since …)`, for a waiter's
/// message), `host`, `pid`, `scope` (``PostgresLeaseHolder``), `acquired_at`, `heartbeat_at` and
/// `expires_at` (the server's clock, so machines need not agree on the time).
/// - **Acquire**: one statement, `INSERT … ON CONFLICT (lock_key) DO UPDATE … WHERE
///   expires_at < now() RETURNING token`: it takes a free or expired lease and never a live one
///   (and, with `FOR UPDATE NOWAIT` on the row first, never waits for a holder's commit).
///   A waiter polls every 20 ms until its `lock_timeout`; a lease whose holder is a dead process
///   of this host (``PostgresLeaseHolder/outlives(host:scope:pid:)``) is taken at once.
/// - **Heartbeat**: a thread renews every held lease every third of the lease
///   (`UPDATE … WHERE token = ANY(ours) AND expires_at > now()`); a lease it finds expired or
///   taken is lost, and the next commit refuses to publish.
/// - **Fence** (``fence(on:)``): inside each commit transaction, right after the partitions'
///   `pg_advisory_xact_lock`, the same renewal on the commit's own connection; unless it finds
///   every held lease still ours and unexpired, the commit rolls back with
///   ``LoadKit/LoadKitError/Code/lockLost``. The renewal locks the rows until the commit ends,
///   so no lease can expire and be taken between the fence and the COMMIT.
/// - **Release**: `DELETE … WHERE token = ours`.
///
/// The lock connection commits asynchronously (`synchronous_commit = off`, not behind a
/// transaction pool): a lease lost in a server crash is caught by the fence.
///
/// A killed holder's lease expires one lease after its last renewal (``lease``, default 30 s),
/// at once for an acquirer on its own host; a frozen one (SIGSTOP) loses it the same way, and
/// when it resumes its commit is refused. Every statement is one autocommit statement on a
/// connection of these locks' own (opened on first use), so the locks hold behind a pool in
/// transaction mode (PgBouncer), which keeps no session state. PostgreSQL manual, INSERT "ON
/// CONFLICT Clause"; §13.2.1 "Read Committed Isolation Level" (a conflicting row locked by
/// another transaction is re-checked once that one ends).
final class PostgresLocks: @unchecked Sendable {
    /// How long a lease lasts without renewal.
    let lease: Duration
    private let uri: String
    private let schema: String
    private let poolMode: PostgresPoolMode
    private let me = PostgresLeaseHolder.current
    /// Guards ``connection``, held while a statement runs on it.
    private let connectionLock = NSLock()
    private var connection: PGConnection?
    /// Guards the state below, never held during a statement (a commit's ``fence(on:)`` must not
    /// wait for a heartbeat blocked on the lease rows that very commit has locked); the heartbeat
    /// thread waits on it between renewals.
    private let condition = NSCondition()
    /// The held leases by lock name.
    private var held: [String: Lease] = [:]
    private var beating = false
    /// The error of the heartbeat's last renewal, when it failed.
    private var renewalFailure: String?

    private struct Lease {
        let key: String
        let token: String
    }

    /// - Parameters:
    ///   - uri: the libpq URI (without loadkit's own parameters).
    ///   - schema: the warehouse's `schema:`.
    ///   - lease: how long a lease lasts without renewal (at least 1 s).
    ///   - poolMode: how the connection reaches the server.
    init(uri: String, schema: String, lease: Duration, poolMode: PostgresPoolMode) {
        self.uri = uri
        self.schema = schema
        self.lease = max(lease, .seconds(1))
        self.poolMode = poolMode
    }

    private var table: String { PostgresDialect.qualified(schema, "_loadkit_leases") }

    /// `lease` as an SQL interval.
    private var interval: String { "\(Int((lease.seconds * 1000).rounded())) milliseconds" }

    /// The advisory lock key of a lock name, the lease row's `lock_key`.
    static func key(schema: String, name: String) -> PostgresLockKey {
        PostgresLockKey(schema: schema, table: "_loadkit_lock", partition: name)
    }

    /// Runs `body` on the lock connection (opened, its catalog prepared, on first use) under its
    /// lock; a failed statement drops the connection, so that the next call connects anew.
    private func onConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        connectionLock.lock()
        defer { connectionLock.unlock() }
        let db: PGConnection
        if let connection {
            db = connection
        } else {
            db = try PostgresDestination.connect(uri)
            db.preparesStatements = poolMode == .session
            if poolMode == .session {
                // A lease statement need not wait for its WAL flush (about a millisecond each, and
                // a dynamic load takes one lease per partition): a lease lost with a server crash
                // is found lost by the fence of the commit it guards, which is itself synchronous
                // (and flushes every lease written before it), so that commit publishes nothing;
                // a release lost expires. Not behind a transaction pool, where the setting would
                // stay on the server connection for the pool's next client. PostgreSQL manual
                // §30.4 "Asynchronous Commit".
                try db.execute("SET synchronous_commit = off")
            }
            try PostgresCatalog.prepare(on: db, schema: schema)
            connection = db
        }
        do {
            return try body(db)
        } catch {
            connection = nil
            throw error
        }
    }

    /// Takes the lock, polling every 20 ms until `timeout` (zero: one try).
    /// - Parameters:
    ///   - name: the lock's name.
    ///   - runID: the run that takes it (`owner_run_id`).
    ///   - holder: how a waiter's message names the holder; `run <run id>` when `nil`.
    ///   - timeout: how long to wait for another holder.
    /// - Throws: ``LoadKitError`` `.locked` (transient) naming the holder, as on SQLite;
    ///   `resource.connection` or ``PostgresError`` when the server fails.
    func acquire(_ name: String, runID: String, holder: String? = nil, timeout: Duration) throws {
        let key = Self.key(schema: schema, name: name).description
        let token = UUID().uuidString.lowercased()
        let since = CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
        let description = "\(holder ?? "run \(runID)") (pid \(me.pid) on \(me.host), since \(since))"
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var takeover: String?
        while true {
            let current = try onConnection { db -> [String?]? in
                do {
                    // `FOR UPDATE NOWAIT` first: a holder's commit keeps its lease row locked
                    // (its fence), and waiting for that row would wait past the lock timeout.
                    // Prepared (not behind a transaction pool): a dynamic load takes one lease a partition.
                    let taken = try db.execute(prepared: """
                        WITH current AS (SELECT 1 FROM \(table) WHERE lock_key = $1 FOR UPDATE NOWAIT)
                        INSERT INTO \(table) AS l (lock_key, owner_run_id, token, holder, host, pid, scope,
                                                  acquired_at, heartbeat_at, expires_at)
                        SELECT $1, $2, $3, $4, $5, $6::bigint, $7, now(), now(), now() + $8::interval
                        FROM (SELECT count(*) FROM current) AS checked
                        ON CONFLICT (lock_key) DO UPDATE SET owner_run_id = excluded.owner_run_id, token = excluded.token,
                            holder = excluded.holder, host = excluded.host, pid = excluded.pid, scope = excluded.scope,
                            acquired_at = now(), heartbeat_at = now(), expires_at = excluded.expires_at
                        WHERE l.expires_at < now() OR l.token = $9
                        RETURNING token
                        """, [key, runID, token, description, me.host, String(me.pid), me.scope, interval, takeover])
                        .first?.first ?? nil
                    if taken != nil {
                        condition.lock()
                        held[name] = Lease(key: key, token: token)
                        startHeartbeat()
                        condition.unlock()
                        return nil
                    }
                } catch let error as PostgresError where error.sqlState == "55P03" {
                    // Locked by its holder's commit in progress: held, as far as this try goes.
                }
                return try db.query("SELECT holder, host, scope, pid::text, token FROM \(table) WHERE lock_key = $1",
                                    [key]).first ?? []
            }
            guard let current else { return }
            if current.count == 5, current[4] != takeover, me.outlives(host: current[1], scope: current[2], pid: current[3]) {
                // Its holder died on this host (kill -9): take exactly that lease, not a newer one.
                takeover = current[4]
                continue
            }
            if clock.now >= deadline {
                throw LoadKitError.lockTimedOut(name, holder: current.first.flatMap { $0 } ?? "", waited: timeout)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Releases a lock taken by ``acquire(_:runID:holder:timeout:)``: deletes its lease row if
    /// it is still ours. A row that cannot be deleted now (the server gone) expires by itself.
    /// - Throws: ``PostgresError``.
    func release(_ name: String, runID: String) throws {
        condition.lock()
        let lease = held.removeValue(forKey: name)
        // The heartbeat thread ends once nothing is held.
        condition.broadcast()
        condition.unlock()
        guard let lease else { return }
        _ = try onConnection { db in
            try db.execute(prepared: "DELETE FROM \(table) WHERE lock_key = $1 AND token = $2", [lease.key, lease.token])
        }
    }

    /// Whether a live holder has the lock `name` now: its lease is unexpired and its holder is
    /// not a dead process of this host (for `gc`, which leaves a build table in use alone).
    /// - Throws: ``PostgresError``.
    func isHeld(_ name: String, on db: PGConnection) throws -> Bool {
        let key = Self.key(schema: schema, name: name).description
        guard let row = try db.query("SELECT host, scope, pid::text FROM \(table) WHERE lock_key = $1 AND expires_at > now()",
                                     [key]).first else { return false }
        return !me.outlives(host: row[0], scope: row[1], pid: row[2])
    }

    /// The fence of a commit: renews every lease held, on `db` inside its open transaction.
    ///
    /// Call it right after the commit's `pg_advisory_xact_lock`s. The renewal row-locks the
    /// leases until the transaction ends, so none can expire and be taken before the COMMIT.
    /// Without a held lease it does nothing.
    /// - Throws: ``LoadKit/LoadKitError`` `.lockLost` (transient) naming the first lock that is
    ///   no longer this load's and its holder now; the caller's transaction then rolls back.
    ///   ``PostgresError`` when the statement fails.
    func fence(on db: PGConnection) throws {
        condition.lock()
        let leases = held
        let failure = renewalFailure
        condition.unlock()
        guard !leases.isEmpty else { return }
        let kept = Set(try renew(leases.values.map(\.token), on: db))
        guard let lost = leases.filter({ !kept.contains($0.value.token) }).keys.sorted().first else { return }
        let holder = try db.scalar("SELECT holder FROM \(table) WHERE lock_key = $1 AND expires_at > now()",
                                   [leases[lost]!.key]) ?? ""
        throw LoadKitError.lockLost(lost, holder: holder, lease: lease,
                                    renewalFailure: failure)
    }

    /// Extends the unexpired leases among `tokens` by one lease from now; returns the tokens
    /// renewed (tokens are UUIDs: never quoted in the array literal).
    private func renew(_ tokens: [String], on db: PGConnection) throws -> [String] {
        try db.query("""
            UPDATE \(table) SET heartbeat_at = now(), expires_at = now() + $2::interval
            WHERE token = ANY($1::text[]) AND expires_at > now() RETURNING token
            """, ["{" + tokens.joined(separator: ",") + "}", interval]).compactMap { $0[0] }
    }

    /// Starts the heartbeat thread unless it runs (called holding ``condition``).
    private func startHeartbeat() {
        guard !beating else { return }
        beating = true
        let thread = Thread { [self] in beat() }
        thread.name = "loadkit lease heartbeat"
        thread.start()
    }

    /// The heartbeat: every third of the lease, renews the held leases, until none is held. A
    /// lease found expired or taken stays in ``held``: its commit's fence finds it lost and
    /// refuses to publish. A renewal that fails (the server unreachable) is tried again at the
    /// next beat; its error is kept for the fence's message, should the lease run out meanwhile.
    private func beat() {
        let period = lease.seconds / 3
        condition.lock()
        var next = Date().addingTimeInterval(period)
        while !held.isEmpty {
            if condition.wait(until: next), Date() < next { continue }
            let tokens = held.values.map(\.token)
            condition.unlock()
            var failure: String?
            do {
                _ = try onConnection { db in try renew(tokens, on: db) }
            } catch {
                failure = "\(error)"
            }
            condition.lock()
            renewalFailure = failure
            next = Date().addingTimeInterval(period)
        }
        beating = false
        condition.unlock()
    }
}
