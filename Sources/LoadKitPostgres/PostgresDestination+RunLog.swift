import Foundation
import LoadKit

/// Runs and attempts in `_loadkit_runs` and `_loadkit_attempts` of the warehouse's schema, as on
/// SQLite (SPEC.md §4): each write is its own short transaction, so a process killed at any
/// moment leaves its run and attempts behind; a run whose process (on this host) is gone is
/// marked `interrupted` by whoever looks next (``reapDeadRuns(now:)``).
extension PostgresDestination: RunLog {
    public func startRun(_ run: RunRecord) throws {
        try prepareCatalog()
        let arguments = String(decoding: try JSONEncoder().encode(run.arguments), as: UTF8.self)
        let plan = try run.plan.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try reapDeadRuns(now: run.startedAt)
        try connection.execute("""
            INSERT INTO \(qualified("_loadkit_runs"))(run_id, parent_run_id, command, args, started_at, finished_at,
                                                     status, pid, host, plan)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [run.runID, run.parentRunID, run.command, arguments, run.startedAt, run.finishedAt,
                  run.status.rawValue, String(getpid()), ProcessInfo.processInfo.hostName, plan])
    }

    @discardableResult
    public func reapDeadRuns(now: String) throws -> [String] {
        if readOnly || !catalogReady { return [] }
        let dead = try connection.query("SELECT run_id, pid FROM \(qualified("_loadkit_runs")) WHERE status = 'running' AND host = $1",
                                        [ProcessInfo.processInfo.hostName]).filter { row in
            guard let text = row[1], let pid = Int32(text) else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }.compactMap { $0[0] }
        if dead.isEmpty { return [] }
        try connection.transaction {
            for runID in dead {
                try connection.execute("UPDATE \(qualified("_loadkit_runs")) SET status = 'interrupted', finished_at = $1 "
                                       + "WHERE run_id = $2 AND status = 'running'", [now, runID])
                try markInterrupted(runID: runID, now: now)
            }
        }
        return dead
    }

    private func markInterrupted(runID: String, now: String) throws {
        try connection.execute("""
            UPDATE \(qualified("_loadkit_attempts")) SET status = 'interrupted', finished_at = $1,
                error = coalesce(error, 'the process ended while this attempt ran (killed, crashed or stopped)')
            WHERE run_id = $2 AND status = 'running'
            """, [now, runID])
    }

    public func startAttempt(_ a: AttemptRecord) throws -> Int64 {
        try prepareCatalog()
        let rows = try connection.execute(prepared: Self.insertAttempt(qualified("_loadkit_attempts")) + " RETURNING id",
                                          Self.parameters(a))
        guard let text = rows.first?.first ?? nil, let id = Int64(text) else {
            throw PostgresError(sqlState: "XX000", message: "INSERT … RETURNING id returned no id")
        }
        return id
    }

    public func finishAttempt(_ id: Int64, _ a: AttemptRecord) throws {
        try connection.execute(prepared: """
            UPDATE \(qualified("_loadkit_attempts")) SET status = $1, finished_at = $2, rows = $3, error = $4 WHERE id = $5
            """, [a.status.rawValue, a.finishedAt, a.rows.map(String.init), a.error, String(id)])
    }

    public func writeAttempts(inserting: [AttemptRecord], updating: [(id: Int64, record: AttemptRecord)]) throws -> [Int64] {
        if inserting.isEmpty && updating.isEmpty { return [] }
        try prepareCatalog()
        return try connection.transaction {
            let ids = try inserting.map { try startAttempt($0) }
            for (id, a) in updating { try finishAttempt(id, a) }
            return ids
        }
    }

    public func record(_ attempts: [AttemptRecord]) throws {
        if attempts.isEmpty { return }
        try prepareCatalog()
        try connection.transaction {
            for a in attempts {
                try connection.execute(prepared: Self.insertAttempt(qualified("_loadkit_attempts")), Self.parameters(a))
            }
        }
    }

    private static func insertAttempt(_ table: String) -> String {
        """
        INSERT INTO \(table)(run_id, table_name, partition_key, attempt, status, started_at, finished_at, rows, error, input)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """
    }

    private static func parameters(_ a: AttemptRecord) -> [String?] {
        [a.runID, a.table, a.partitionKey, String(a.attempt), a.status.rawValue, a.startedAt, a.finishedAt,
         a.rows.map(String.init), a.error, a.input]
    }

    public func finishRun(_ runID: String, status: RunStatus, finishedAt: String) throws {
        try connection.transaction {
            try connection.execute("UPDATE \(qualified("_loadkit_runs")) SET status = $1, finished_at = $2 WHERE run_id = $3",
                                   [status.rawValue, finishedAt, runID])
            try markInterrupted(runID: runID, now: finishedAt)
        }
    }

    public func dismissRun(_ runID: String, at: String) throws {
        try prepareCatalog()
        try connection.execute("UPDATE \(qualified("_loadkit_runs")) SET dismissed_at = $1 WHERE run_id = $2", [at, runID])
    }

    public func run(_ runID: String) throws -> RunRecord? {
        guard catalogReady else { return nil }
        return try connection.query(selectRuns + " WHERE run_id = $1", [runID]).first.flatMap(Self.runRecord)
    }

    public func runs(limit: Int, failedOnly: Bool) throws -> [RunRecord] {
        guard catalogReady else { return [] }
        let filter = failedOnly ? " WHERE status IN ('failed', 'interrupted')" : ""
        return try connection.query(selectRuns + filter + " ORDER BY started_at DESC, seq DESC LIMIT $1", [String(limit)])
            .compactMap(Self.runRecord)
    }

    public func attempts(runID: String) throws -> [AttemptRecord] {
        guard catalogReady else { return [] }
        return try connection.query(selectAttempts + " WHERE run_id = $1 ORDER BY id", [runID]).compactMap(Self.attemptRecord)
    }

    public func latestAttempts() throws -> [AttemptRecord] {
        guard catalogReady else { return [] }
        return try connection.query(selectAttempts + """
             WHERE id IN (SELECT max(a.id) FROM \(qualified("_loadkit_attempts")) a
                          JOIN \(qualified("_loadkit_runs")) r USING (run_id)
                          WHERE r.dismissed_at IS NULL
                          GROUP BY a.table_name, a.partition_key, a.input)
             ORDER BY table_name COLLATE "C", partition_key COLLATE "C" NULLS FIRST
            """).compactMap(Self.attemptRecord)
    }

    public func hasRunningRuns() throws -> Bool {
        guard catalogReady else { return false }
        return try connection.scalar("SELECT count(*) FROM \(qualified("_loadkit_runs")) WHERE status = 'running'") != "0"
    }

    private var selectRuns: String {
        "SELECT run_id, parent_run_id, command, args, started_at, finished_at, status, plan, dismissed_at FROM "
            + qualified("_loadkit_runs")
    }

    private var selectAttempts: String {
        "SELECT run_id, table_name, partition_key, attempt, status, started_at, finished_at, rows, error, input, worker FROM "
            + qualified("_loadkit_attempts")
    }

    private static func runRecord(_ row: [String?]) -> RunRecord? {
        guard let id = row[0], let command = row[2], let args = row[3], let started = row[4],
              let statusText = row[6], let status = RunStatus(rawValue: statusText) else { return nil }
        let arguments = (try? JSONDecoder().decode([String].self, from: Data(args.utf8))) ?? [args]
        let plan = row[7].flatMap { try? JSONDecoder().decode([PlannedItem].self, from: Data($0.utf8)) }
        return RunRecord(runID: id, parentRunID: row[1], command: command, arguments: arguments, startedAt: started,
                         finishedAt: row[5], status: status, plan: plan, dismissedAt: row[8])
    }

    private static func attemptRecord(_ row: [String?]) -> AttemptRecord? {
        guard let runID = row[0], let table = row[1], let attemptText = row[3], let attempt = Int(attemptText),
              let statusText = row[4], let status = AttemptStatus(rawValue: statusText), let started = row[5] else {
            return nil
        }
        return AttemptRecord(runID: runID, table: table, partitionKey: row[2], attempt: attempt, status: status,
                             startedAt: started, finishedAt: row[6], rows: row[7].flatMap { Int($0) }, error: row[8],
                             input: row[9], worker: row[10])
    }
}

/// `_loadkit_notifications` on PostgreSQL: one row per (table, partition, event) notified.
extension PostgresDestination: NotificationLog {
    public func notifiedPartitions(table: String, event: String) throws -> Set<String> {
        guard catalogReady else { return [] }
        return Set(try connection.query("SELECT partition_key FROM \(qualified("_loadkit_notifications")) "
                                        + "WHERE table_name = $1 AND event = $2", [table, event]).compactMap { $0[0] })
    }

    public func recordNotified(table: String, partitions: [String], event: String, runID: String, at: String) throws {
        try prepareCatalog()
        try connection.transaction {
            for key in partitions {
                try connection.execute("""
                    INSERT INTO \(qualified("_loadkit_notifications"))(table_name, partition_key, event, run_id, notified_at)
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                    """, [table, key, event, runID, at])
            }
        }
    }
}
