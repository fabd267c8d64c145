import Foundation
import LoadKit

/// The warehouse's task queue, `_loadkit_tasks` in the configured schema (SPEC.md §8), on the
/// connection of one ``PostgresDestination`` so that ``fence(_:)`` runs in that destination's
/// commit transaction.
///
/// One row per (run, task); a task's id is its load id. A partial unique index over the ids of
/// queued and running tasks makes enqueuing a backfill that is already queued add nothing. A
/// claim is one short transaction: `SELECT … FOR UPDATE SKIP LOCKED LIMIT 1` over a partial index
/// of the queued and running rows (so finished rows cost nothing), then an `UPDATE` that sets a
/// new lease token, attempt number and expiry (server time: machines' clocks may differ), and
/// the attempt's `_loadkit_attempts` row. Every later write names the token; a row whose token
/// changed is another attempt's. PostgreSQL manual: `SELECT` "The Locking Clause"
/// (SKIP LOCKED), §9.27.2 `pg_terminate_backend`.
///
/// Used by one thread at a time, as its destination's connection is (`@unchecked Sendable` so
/// the fence can travel into the load's commit, on that same thread).
public final class PostgresQueue: WorkQueue, @unchecked Sendable {
    let destination: PostgresDestination
    private var ended: [String] = []
    private var connection: PGConnection { destination.connection }
    private var table: String { destination.qualified("_loadkit_tasks") }
    private var attempts: String { destination.qualified("_loadkit_attempts") }
    private var runs: String { destination.qualified("_loadkit_runs") }

    /// The queue on `destination`'s connection (its catalog is created when absent).
    /// - Throws: ``PostgresError``.
    public init(destination: PostgresDestination) throws {
        self.destination = destination
        try destination.prepareCatalog()
    }

    /// UTC ISO 8601 of the system clock, as the run records' other times (text columns).
    static func timestamp() -> String {
        CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
    }

    /// `{"a","b",NULL}`: a PostgreSQL array literal of text values (manual §8.15.6).
    static func arrayLiteral(_ values: [String?]) -> String {
        "{" + values.map { value in
            guard let value else { return "NULL" }
            return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }

    /// `30 s` as an interval literal in milliseconds.
    static func interval(_ duration: Duration) -> String {
        "\(Int((duration.seconds * 1000).rounded())) milliseconds"
    }

    // MARK: - Enqueue

    public func enqueue(_ run: RunRecord, tasks: [QueuedTask]) throws -> EnqueueResult {
        let arguments = String(decoding: try JSONEncoder().encode(run.arguments), as: UTF8.self)
        let plan = try run.plan.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let ids = Self.arrayLiteral(tasks.map(\.taskID))
        let forcedIDs = Self.arrayLiteral(tasks.filter(\.force).map(\.taskID))
        let result = try connection.transaction { () throws -> EnqueueResult in
            // pid NULL: no process owns a queued run, so no one marks it interrupted when the
            // process that queued it exits; the worker finishing its last task ends it.
            try connection.execute("""
                INSERT INTO \(runs)(run_id, parent_run_id, command, args, started_at, finished_at, status, pid, host, plan)
                VALUES ($1, $2, $3, $4, $5, NULL, 'running', NULL, $6, $7)
                """, [run.runID, run.parentRunID, run.command, arguments, run.startedAt,
                      "queue (enqueued on \(ProcessInfo.processInfo.hostName))", plan])
            // --force on a task already queued without it: that task now reloads (its run keeps it).
            let forced = try connection.execute("""
                UPDATE \(table) SET force = true WHERE task_id = ANY($1::text[]) AND state = 'queued' AND NOT force
                """, [forcedIDs])
            let unforced = try connection.scalar("""
                SELECT count(*) FROM \(table) WHERE task_id = ANY($1::text[]) AND state = 'running' AND NOT force
                """, [forcedIDs]).flatMap { Int($0) } ?? 0
            let added = try connection.execute("""
                INSERT INTO \(table)(run_id, task_id, table_name, partition_key, depends_on, state, force, max_attempts)
                SELECT $1, u.id, u.name, u.key, string_to_array(u.deps, ' '), 'queued', u.force, u.attempts
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::int[])
                     WITH ORDINALITY AS u(id, name, key, deps, force, attempts, n)
                ORDER BY u.n
                ON CONFLICT (task_id) WHERE state IN ('queued', 'running') DO NOTHING
                """, [run.runID, ids, Self.arrayLiteral(tasks.map(\.table)), Self.arrayLiteral(tasks.map(\.partitionKey)),
                      Self.arrayLiteral(tasks.map { $0.dependsOn.joined(separator: " ") }),
                      "{" + tasks.map { $0.force ? "t" : "f" }.joined(separator: ",") + "}",
                      "{" + tasks.map { String($0.maxAttempts) }.joined(separator: ",") + "}"])
            var result = EnqueueResult(runID: run.runID, added: added, alreadyQueued: tasks.count - added)
            result.forced = forced
            result.runningWithoutForce = unforced
            if added == 0 && !tasks.isEmpty {
                // Every task is queued already: no new run; the result names the one holding them.
                try connection.execute("DELETE FROM \(runs) WHERE run_id = $1", [run.runID])
                result.runID = try connection.scalar("""
                    SELECT run_id FROM \(table) WHERE task_id = ANY($1::text[]) AND state IN ('queued', 'running')
                    ORDER BY seq LIMIT 1
                    """, [ids]) ?? run.runID
            }
            return result
        }
        // Fresh statistics for the claim's plan: a table the planner has never analysed (a
        // new warehouse) made each claim cost tens of milliseconds (measured, issue 14).
        if result.added > 0 { try connection.execute("ANALYZE \(table)") }
        return result
    }

    // MARK: - Claim

    public func claim(worker: String, session: String, lease: Duration, tables: [String]) throws -> TaskClaim? {
        let token = UUID().uuidString.lowercased()
        let now = Self.timestamp()
        // One statement, so one round trip and atomic on its own: pick the oldest ready task
        // (its upstream tasks of the same run done, none of them queued or running in another
        // run: a backfill queued twice shares them), lock it (SKIP LOCKED: claimers never wait
        // for each other), give it a new attempt and lease, write the attempt's record `running`
        // under an id drawn first, and mark a taken-over attempt's record `interrupted`.
        let rows = try connection.query("""
            WITH c AS (
                SELECT t.run_id, t.task_id, t.state AS was, t.attempt_id AS old_attempt, t.lease_session AS old_session,
                       t.lease_owner AS old_owner
                FROM \(table) t
                WHERE t.state IN ('queued', 'running') AND t.table_name = ANY($7::text[])
                  AND (t.state = 'queued' AND t.next_run_at <= now()
                       OR t.state = 'running' AND t.lease_expires_at < now() AND t.expiries < 3)
                  AND NOT EXISTS (SELECT 1 FROM \(table) u
                                  WHERE u.task_id = ANY(t.depends_on) AND u.state <> 'done'
                                    AND (u.run_id = t.run_id OR u.state IN ('queued', 'running')))
                ORDER BY t.seq
                LIMIT 1
                FOR UPDATE OF t SKIP LOCKED),
            claimed AS (
                UPDATE \(table) t SET state = 'running', attempt = t.attempt + 1, lease_token = $1, lease_owner = $2,
                    lease_session = $3, lease_expires_at = now() + $4::interval,
                    expiries = t.expiries + CASE WHEN c.was = 'running' THEN 1 ELSE 0 END,
                    attempt_id = nextval(pg_get_serial_sequence($5, 'id'))
                FROM c WHERE t.run_id = c.run_id AND t.task_id = c.task_id
                RETURNING t.run_id, t.task_id, t.table_name, t.partition_key, t.attempt, t.max_attempts, t.force,
                          t.attempt_id, c.was, c.old_attempt, c.old_session, c.old_owner),
            recorded AS (
                INSERT INTO \(attempts)(id, run_id, table_name, partition_key, attempt, status, started_at, worker)
                SELECT attempt_id, run_id, table_name, partition_key, attempt, 'running', $6, $2 FROM claimed),
            taken AS (
                UPDATE \(attempts) a SET status = 'interrupted', finished_at = $6,
                    error = coalesce(a.error, 'its lease expired unrenewed (worker ' || coalesce(claimed.old_owner, '?')
                        || ' was killed, froze, was cut off or lost its connection); ' || $2 || ' took the task over')
                FROM claimed WHERE claimed.was = 'running' AND a.id = claimed.old_attempt AND a.status = 'running')
            SELECT run_id, task_id, table_name, partition_key, attempt, max_attempts, force, was, old_session FROM claimed
            """, [token, worker, session, Self.interval(lease), attempts, now, Self.arrayLiteral(tables)])
        guard let row = rows.first, let runID = row[0], let taskID = row[1], let tableName = row[2],
              let attempt = row[4].flatMap({ Int($0) }), let maxAttempts = row[5].flatMap({ Int($0) }) else {
            try failLostTasks()
            return nil
        }
        let claim = TaskClaim(runID: runID, taskID: taskID, table: tableName, partitionKey: row[3], attempt: attempt,
                              maxAttempts: maxAttempts, token: token, force: row[6] == "t")
        if row[7] == "running", let session = row[8] { try endSessions(named: session, for: claim) }
        return claim
    }

    /// Ends the database sessions of a worker whose lease expired, so that its open
    /// transaction rolls back and its partition locks are freed now, not when the server
    /// notices it gone. Needs the same role as that worker (or `pg_signal_backend`); without
    /// it the note goes into the old attempt's record and the new attempt waits for those locks
    /// up to `lock_timeout`.
    private func endSessions(named session: String, for claim: TaskClaim) throws {
        do {
            try connection.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = $1 AND pid <> pg_backend_pid()
                """, [session])
        } catch let error as PostgresError where error.sqlState == "42501" {
            try connection.execute("""
                UPDATE \(attempts) SET error = coalesce(error, '') || $1
                WHERE run_id = $2 AND table_name = $3 AND partition_key IS NOT DISTINCT FROM $4 AND attempt = $5 - 1
                """, ["; its database sessions could not be ended (\(error.message)): grant pg_signal_backend to "
                      + "loadkit's role so a lost worker's locks go with its lease", claim.runID, claim.table,
                      claim.partitionKey, String(claim.attempt)])
        }
    }

    /// Fails the tasks whose lease expired three times (their workers keep dying on them).
    private func failLostTasks() throws {
        let lost = try connection.query("""
            SELECT run_id, task_id, attempt, lease_token, table_name, partition_key FROM \(table)
            WHERE state = 'running' AND lease_expires_at < now() AND expiries >= 3
            """)
        for row in lost {
            guard let runID = row[0], let taskID = row[1], let attempt = row[2].flatMap({ Int($0) }), let token = row[3],
                  let name = row[4] else { continue }
            let claim = TaskClaim(runID: runID, taskID: taskID, table: name, partitionKey: row[5], attempt: attempt,
                                  maxAttempts: attempt, token: token)
            try finish(claim, as: .failed, rows: 0, message: "the task's lease expired 3 times: each worker that ran it "
                       + "was killed, froze or lost its connection; see its attempts (`loadkit runs show \(runID)`)")
        }
    }

    // MARK: - Leases

    public func renew(_ tokens: [String], lease: Duration) throws -> Set<String> {
        if tokens.isEmpty { return [] }
        let rows = try connection.query("""
            UPDATE \(table) SET lease_expires_at = now() + $2::interval
            WHERE lease_token = ANY($1::text[]) AND state = 'running' RETURNING lease_token
            """, [Self.arrayLiteral(tokens), Self.interval(lease)])
        return Set(rows.compactMap { $0[0] })
    }

    public func fence(_ claim: TaskClaim) -> @Sendable () throws -> Void {
        let table = self.table, attempts = self.attempts
        return { [self] in
            let now = Self.timestamp()
            // Inside the load's commit transaction: the task row stays locked until it commits,
            // so no claimer can take it in between (SKIP LOCKED passes it by).
            let marked = try connection.execute("""
                UPDATE \(table) SET state = 'done', finished_at = now(), error = NULL
                WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_token = $4 AND state = 'running'
                """, [claim.runID, claim.taskID, String(claim.attempt), claim.token])
            guard marked == 1 else {
                throw LoadKitError(.leaseLost, "table \(claim.table)"
                    + (claim.partitionKey.map { ", partition \($0)" } ?? "")
                    + ": attempt \(claim.attempt) lost its lease to another worker before it could commit; "
                    + "nothing of it was committed")
            }
            try connection.execute("""
                UPDATE \(attempts) SET status = 'success', finished_at = $1
                WHERE id = (SELECT attempt_id FROM \(table) WHERE run_id = $2 AND task_id = $3)
                """, [now, claim.runID, claim.taskID])
        }
    }

    // MARK: - Ends

    @discardableResult
    public func finish(_ claim: TaskClaim, as state: QueuedTaskState, rows: Int, message: String?) throws -> Bool {
        let now = Self.timestamp()
        let status = state == .failed ? "failed" : message == nil ? "success" : "skipped"
        let parameters = [claim.runID, claim.taskID, String(claim.attempt), claim.token, state.rawValue, String(rows),
                          message, status, now]
        let endTask = """
            WITH t AS (
                UPDATE \(table) SET state = $5, rows = $6, error = $7, finished_at = coalesce(finished_at, now())
                WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_token = $4 AND state IN ('running', 'done')
                RETURNING attempt_id),
            a AS (UPDATE \(attempts) SET status = $8, finished_at = $9, rows = $6, error = $7
                  WHERE id = (SELECT attempt_id FROM t))
            """
        guard state == .failed else {
            // One statement: the task done, its attempt's record, and the run ended when this was
            // its last task (the statement's snapshot still shows this task running: left out).
            let updated = try connection.query(endTask + """
                , r AS (UPDATE \(runs) SET finished_at = $9,
                        status = CASE WHEN EXISTS (SELECT 1 FROM \(table) WHERE run_id = $1 AND state IN ('failed', 'upstream_failed'))
                                      THEN 'failed' ELSE 'success' END
                        WHERE run_id = $1 AND status = 'running' AND EXISTS (SELECT 1 FROM t)
                          AND NOT EXISTS (SELECT 1 FROM \(table) WHERE run_id = $1 AND state IN ('queued', 'running')
                                          AND task_id <> $2)
                        RETURNING 1)
                SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM r)
                """, parameters)
            if updated.first?[1] == "1" { ended.append(claim.runID) }
            return updated.first?.first == "1"
        }
        return try connection.transaction {
            guard try connection.query(endTask + " SELECT count(*) FROM t", parameters).first?.first == "1" else { return false }
            try markUpstreamFailed(below: claim, now: now)
            try closeRun(claim.runID, now: now)
            return true
        }
    }

    @discardableResult
    public func retry(_ claim: TaskClaim, after: Duration, error: String) throws -> Bool {
        let now = Self.timestamp()
        return try connection.transaction {
            let updated = try connection.query("""
                UPDATE \(table) SET state = 'queued', next_run_at = now() + $5::interval, error = $6,
                    lease_token = NULL, lease_expires_at = NULL
                WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND lease_token = $4 AND state = 'running'
                RETURNING attempt_id
                """, [claim.runID, claim.taskID, String(claim.attempt), claim.token, Self.interval(after), error])
            guard let row = updated.first else { return false }
            try connection.execute("UPDATE \(attempts) SET status = 'failed', finished_at = $1, error = $2 WHERE id = $3",
                                   [now, error, row[0]])
            return true
        }
    }

    /// Marks every queued task below `claim`'s `upstream_failed`, each with an attempt record
    /// (attempt 0), as a local run does: in its own run, and in any other run that shares this
    /// task instead of holding its own (a backfill queued while this one was queued or running
    /// left the task out and waits for this one); then ends the other runs this leaves finished.
    private func markUpstreamFailed(below claim: TaskClaim, now: String) throws {
        let reason = "upstream task \(claim.table)\(claim.partitionKey.map { " \($0)" } ?? "") failed"
        let marked = try connection.query("""
            WITH RECURSIVE below(run_id, task_id) AS (
                SELECT t.run_id, t.task_id FROM \(table) t
                WHERE $2 = ANY(t.depends_on) AND t.state = 'queued'
                  AND (t.run_id = $1 OR NOT EXISTS (SELECT 1 FROM \(table) s WHERE s.run_id = t.run_id AND s.task_id = $2))
                UNION
                SELECT t.run_id, t.task_id FROM \(table) t JOIN below b ON b.task_id = ANY(t.depends_on) AND t.run_id = b.run_id
                WHERE t.state = 'queued')
            UPDATE \(table) SET state = 'upstream_failed', error = $3, finished_at = now()
            WHERE (run_id, task_id) IN (SELECT run_id, task_id FROM below) AND state = 'queued'
            RETURNING run_id, table_name, partition_key
            """, [claim.runID, claim.taskID, reason])
        for row in marked {
            try connection.execute("""
                INSERT INTO \(attempts)(run_id, table_name, partition_key, attempt, status, started_at, finished_at, error)
                VALUES ($1, $2, $3, 0, 'upstream_failed', $4, $4, $5)
                """, [row[0], row[1], row[2], now, reason])
        }
        for runID in Set(marked.compactMap { $0[0] }) where runID != claim.runID { try closeRun(runID, now: now) }
    }

    /// Ends the run when none of its tasks is queued or running: `failed` when one failed.
    private func closeRun(_ runID: String, now: String) throws {
        let closed = try connection.execute("""
            UPDATE \(runs) SET finished_at = $2,
                status = CASE WHEN EXISTS (SELECT 1 FROM \(table) WHERE run_id = $1 AND state IN ('failed', 'upstream_failed'))
                              THEN 'failed' ELSE 'success' END
            WHERE run_id = $1 AND status = 'running'
              AND NOT EXISTS (SELECT 1 FROM \(table) WHERE run_id = $1 AND state IN ('queued', 'running'))
            """, [runID, now])
        if closed == 1 { ended.append(runID) }
    }

    public func takeEndedRuns() -> [String] {
        defer { ended = [] }
        return ended
    }

    // MARK: - Reading

    public func hasActiveTasks() throws -> Bool {
        try connection.scalar("SELECT EXISTS (SELECT 1 FROM \(table) WHERE state IN ('queued', 'running'))") == "t"
    }

    @discardableResult
    public func closeFinishedRuns() throws -> [String] {
        let now = Self.timestamp()
        // Open queued runs (no process owns them) with no task left to run: cheap, through the
        // partial index of active tasks; the finished history is not scanned.
        let open = try connection.query("""
            SELECT r.run_id FROM \(runs) r WHERE r.status = 'running' AND r.pid IS NULL
              AND EXISTS (SELECT 1 FROM \(table) t WHERE t.run_id = r.run_id)
              AND NOT EXISTS (SELECT 1 FROM \(table) t WHERE t.run_id = r.run_id AND t.state IN ('queued', 'running'))
            """).compactMap { $0[0] }
        var closed: [String] = []
        for runID in open {
            try connection.transaction {
                // An attempt whose commit marked its task done, its worker killed before it said so.
                try connection.execute("""
                    UPDATE \(attempts) a SET status = 'success', finished_at = $1
                    FROM \(table) t WHERE t.run_id = $2 AND a.id = t.attempt_id AND t.state = 'done' AND a.status = 'running'
                    """, [now, runID])
                let before = ended.count
                try closeRun(runID, now: now)
                if ended.count > before { closed.append(runID) }
            }
        }
        return closed
    }

    public func latestTasks(_ taskIDs: [String], preferring runID: String) throws -> [QueuedTaskStatus] {
        let rows = try connection.query("""
            SELECT DISTINCT ON (task_id) task_id, table_name, partition_key, state, attempt, rows, lease_owner, error
            FROM \(table) WHERE task_id = ANY($1::text[])
            ORDER BY task_id, (run_id = $2) DESC, seq DESC
            """, [Self.arrayLiteral(taskIDs), runID])
        var byID: [String: QueuedTaskStatus] = [:]
        for row in rows {
            guard let id = row[0], let name = row[1], let state = row[3].flatMap(QueuedTaskState.init(rawValue:)) else { continue }
            byID[id] = QueuedTaskStatus(table: name, partitionKey: row[2], state: state,
                                        attempt: row[4].flatMap { Int($0) } ?? 0, rows: row[5].flatMap { Int($0) } ?? 0,
                                        worker: row[6], error: row[7])
        }
        return taskIDs.compactMap { byID[$0] }
    }

    public func tasks(runID: String) throws -> [QueuedTaskStatus] {
        try connection.query("""
            SELECT table_name, partition_key, state, attempt, rows, lease_owner, error FROM \(table)
            WHERE run_id = $1 ORDER BY seq
            """, [runID]).compactMap { row in
            guard let name = row[0], let state = row[2].flatMap(QueuedTaskState.init(rawValue:)) else { return nil }
            return QueuedTaskStatus(table: name, partitionKey: row[1], state: state,
                                    attempt: row[3].flatMap { Int($0) } ?? 0, rows: row[4].flatMap { Int($0) } ?? 0,
                                    worker: row[5], error: row[6])
        }
    }
}

extension PostgresDestination {
    /// The partitions of `table` whose task is queued or running in `_loadkit_tasks`; a
    /// running task whose lease expired counts as queued (no worker holds it now).
    public func queuedPartitions(table: String) throws -> [String: QueuedTaskState] {
        guard catalogReady, try connection.scalar("SELECT to_regclass($1) IS NOT NULL", [qualified("_loadkit_tasks")]) == "t"
        else { return [:] }
        let rows = try connection.query("""
            SELECT partition_key, CASE WHEN state = 'running' AND lease_expires_at >= now() THEN 'running' ELSE 'queued' END
            FROM \(qualified("_loadkit_tasks"))
            WHERE table_name = $1 AND state IN ('queued', 'running') AND partition_key IS NOT NULL
            """, [table])
        var states: [String: QueuedTaskState] = [:]
        for row in rows {
            guard let key = row[0], let state = row[1].flatMap(QueuedTaskState.init(rawValue:)) else { continue }
            if states[key] != .running { states[key] = state }
        }
        return states
    }
}
