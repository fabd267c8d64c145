import Foundation
import LoadKit

/// Runs and attempts in `_loadkit_runs` and `_loadkit_attempts` (SPEC.md §4). `_loadkit_runs`
/// also keeps the pid and host of the process, so a run whose process died is marked
/// `interrupted` by whoever looks next on the same host (``reapDeadRuns(now:)``), and the
/// run's plan (JSON), so `rerun` finds the items a killed run never started.
///
/// Every write is a short `BEGIN IMMEDIATE` transaction: an attempt is recorded when it starts
/// and updated when it ends (the runner groups these, ``writeAttempts(inserting:updating:)``), so
/// `kill -9` while an attempt loads leaves it behind.
extension SQLiteDestination: RunLog {
    public func startRun(_ run: RunRecord) throws {
        try prepareCatalog()
        let arguments = String(decoding: try JSONEncoder().encode(run.arguments), as: UTF8.self)
        let plan = try run.plan.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try explainingFaults { try reapDeadRuns(now: run.startedAt) }
        try explainingFaults { try connection.transaction {
            try connection.prepare("""
                INSERT INTO _loadkit_runs(run_id, parent_run_id, command, args, started_at, finished_at, status,
                                          pid, host, plan)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute([.text(run.runID), run.parentRunID.map(Value.text) ?? .null, .text(run.command),
                              .text(arguments), .text(run.startedAt), run.finishedAt.map(Value.text) ?? .null,
                              .text(run.status.rawValue), .integer(Int64(getpid())),
                              .text(ProcessInfo.processInfo.hostName), plan.map(Value.text) ?? .null])
        } }
    }

    @discardableResult
    public func reapDeadRuns(now: String) throws -> [String] {
        if readOnly { return [] }
        try prepareCatalog()
        let host = ProcessInfo.processInfo.hostName
        let dead = try connection.query("SELECT run_id, pid FROM _loadkit_runs WHERE status = 'running' AND host = ?",
                                        [.text(host)]).filter { row in
            guard case .integer(let pid) = row[1] else { return false }
            return kill(pid_t(pid), 0) != 0 && errno == ESRCH
        }.compactMap { $0[0].textValue }
        if dead.isEmpty { return [] }
        try connection.transaction {
            for runID in dead {
                try connection.prepare("""
                    UPDATE _loadkit_runs SET status = 'interrupted', finished_at = ? WHERE run_id = ? AND status = 'running'
                    """).execute([.text(now), .text(runID)])
                try markInterrupted(runID: runID, now: now)
            }
        }
        return dead
    }

    private func markInterrupted(runID: String, now: String) throws {
        try connection.prepare("""
            UPDATE _loadkit_attempts SET status = 'interrupted', finished_at = ?,
                error = coalesce(error, 'the process ended while this attempt ran (killed, crashed or stopped)')
            WHERE run_id = ? AND status = 'running'
            """).execute([.text(now), .text(runID)])
    }

    public func startAttempt(_ a: AttemptRecord) throws -> Int64 {
        try explainingFaults {
            try prepareCatalog()
            return try connection.transaction {
                try insertAttempt(a)
                return connection.lastInsertRowID
            }
        }
    }

    /// The prepared statement for `sql`, kept for the next write of the same shape.
    private func runLogStatement(_ sql: String) throws -> SQLiteStatement {
        if let statement = runLogStatements[sql] { return statement }
        let statement = try connection.prepare(sql)
        runLogStatements[sql] = statement
        return statement
    }

    /// Runs a run-log write, explaining a resource fault (disk full, read-only, locked) with the
    /// warehouse's path (``SQLiteResourceFault``).
    private func explainingFaults<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .runLog, warehouse: path, busyTimeout: connection.busyTimeout)
        }
    }

    public func finishAttempt(_ id: Int64, _ a: AttemptRecord) throws {
        try explainingFaults { try connection.transaction { try updateAttempt(id, a) } }
    }

    private func updateAttempt(_ id: Int64, _ a: AttemptRecord) throws {
        try runLogStatement("""
            UPDATE _loadkit_attempts SET status = ?, finished_at = ?, rows = ?, error = ? WHERE rowid = ?
            """).execute([.text(a.status.rawValue), a.finishedAt.map(Value.text) ?? .null,
                          a.rows.map { .integer(Int64($0)) } ?? .null, a.error.map(Value.text) ?? .null,
                          .integer(id)])
    }

    public func writeAttempts(inserting: [AttemptRecord], updating: [(id: Int64, record: AttemptRecord)]) throws -> [Int64] {
        if inserting.isEmpty && updating.isEmpty { return [] }
        return try explainingFaults {
            try prepareCatalog()
            // Takes its turn with this process's direct replaces (see SQLiteWriteGate).
            let gate = SQLiteWriteGate.forWarehouse(path)
            try gate.pass(timeout: connection.busyTimeout)
            defer { connection.checkpointIfDue() }
            defer { gate.leave() }
            return try connection.deferringCheckpoints {
                try connection.transaction {
                    let ids = try inserting.map { a in
                        try insertAttempt(a)
                        return connection.lastInsertRowID
                    }
                    for (id, a) in updating { try updateAttempt(id, a) }
                    return ids
                }
            }
        }
    }

    public func record(_ attempts: [AttemptRecord]) throws {
        if attempts.isEmpty { return }
        try explainingFaults {
            try prepareCatalog()
            try connection.transaction {
                for a in attempts { try insertAttempt(a) }
            }
        }
    }

    private func insertAttempt(_ a: AttemptRecord) throws {
        try runLogStatement("""
            INSERT INTO _loadkit_attempts(run_id, table_name, partition_key, attempt, status, started_at,
                                          finished_at, rows, error, input)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute([.text(a.runID), .text(a.table), a.partitionKey.map(Value.text) ?? .null,
                          .integer(Int64(a.attempt)), .text(a.status.rawValue), .text(a.startedAt),
                          a.finishedAt.map(Value.text) ?? .null, a.rows.map { .integer(Int64($0)) } ?? .null,
                          a.error.map(Value.text) ?? .null, a.input.map(Value.text) ?? .null])
    }

    public func finishRun(_ runID: String, status: RunStatus, finishedAt: String) throws {
        try explainingFaults {
            try connection.transaction {
                try connection.prepare("UPDATE _loadkit_runs SET status = ?, finished_at = ? WHERE run_id = ?")
                    .execute([.text(status.rawValue), .text(finishedAt), .text(runID)])
                try markInterrupted(runID: runID, now: finishedAt)
            }
        }
    }

    public func dismissRun(_ runID: String, at: String) throws {
        try prepareCatalog()
        try connection.transaction {
            try connection.prepare("UPDATE _loadkit_runs SET dismissed_at = ? WHERE run_id = ?")
                .execute([.text(at), .text(runID)])
        }
    }

    public func run(_ runID: String) throws -> RunRecord? {
        guard try hasRunLog() else { return nil }
        return try connection.query(Self.selectRuns + " WHERE run_id = ?", [.text(runID)]).first.flatMap(Self.runRecord)
    }

    public func runs(limit: Int, failedOnly: Bool) throws -> [RunRecord] {
        guard try hasRunLog() else { return [] }
        let filter = failedOnly ? " WHERE status IN ('failed', 'interrupted')" : ""
        return try connection.query(Self.selectRuns + filter + " ORDER BY started_at DESC, rowid DESC LIMIT ?",
                                    [.integer(Int64(limit))]).compactMap(Self.runRecord)
    }

    public func attempts(runID: String) throws -> [AttemptRecord] {
        guard try hasRunLog() else { return [] }
        return try connection.query(Self.selectAttempts + " WHERE run_id = ? ORDER BY rowid", [.text(runID)])
            .compactMap(Self.attemptRecord)
    }

    public func latestAttempts() throws -> [AttemptRecord] {
        guard try hasRunLog() else { return [] }
        return try connection.query(Self.selectAttempts + """
             WHERE rowid IN (SELECT max(a.rowid) FROM _loadkit_attempts a JOIN _loadkit_runs r USING (run_id)
                             WHERE r.dismissed_at IS NULL
                             GROUP BY a.table_name, a.partition_key, a.input)
             ORDER BY table_name, partition_key
            """).compactMap(Self.attemptRecord)
    }

    public func hasRunningRuns() throws -> Bool {
        guard try hasRunLog() else { return false }
        return try connection.scalar("SELECT count(*) FROM _loadkit_runs WHERE status = 'running'") != .integer(0)
    }

    /// Whether the run log's tables exist (a read-only destination never creates them).
    private func hasRunLog() throws -> Bool {
        if !readOnly {
            try prepareCatalog()
            return true
        }
        return try connection.scalar("SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_attempts'") == .integer(1)
    }

    private static let selectRuns =
        "SELECT run_id, parent_run_id, command, args, started_at, finished_at, status, plan, dismissed_at FROM _loadkit_runs"
    private static let selectAttempts = """
        SELECT run_id, table_name, partition_key, attempt, status, started_at, finished_at, rows, error, input
        FROM _loadkit_attempts
        """

    private static func runRecord(_ row: [Value]) -> RunRecord? {
        guard case .text(let id) = row[0], case .text(let command) = row[2], case .text(let args) = row[3],
              case .text(let started) = row[4], case .text(let statusText) = row[6],
              let status = RunStatus(rawValue: statusText) else { return nil }
        let arguments = (try? JSONDecoder().decode([String].self, from: Data(args.utf8))) ?? [args]
        let plan = row[7].textValue.flatMap { try? JSONDecoder().decode([PlannedItem].self, from: Data($0.utf8)) }
        return RunRecord(runID: id, parentRunID: row[1].textValue, command: command, arguments: arguments,
                         startedAt: started, finishedAt: row[5].textValue, status: status, plan: plan,
                         dismissedAt: row[8].textValue)
    }

    private static func attemptRecord(_ row: [Value]) -> AttemptRecord? {
        guard case .text(let runID) = row[0], case .text(let table) = row[1], case .integer(let attempt) = row[3],
              case .text(let statusText) = row[4], let status = AttemptStatus(rawValue: statusText),
              case .text(let started) = row[5] else { return nil }
        var rows: Int?
        if case .integer(let n) = row[7] { rows = Int(n) }
        return AttemptRecord(runID: runID, table: table, partitionKey: row[2].textValue, attempt: Int(attempt),
                             status: status, startedAt: started, finishedAt: row[6].textValue, rows: rows,
                             error: row[8].textValue, input: row[9].textValue)
    }
}
