import Foundation
import LoadKit

/// Runs and attempts in `_loadkit_runs` and `_loadkit_attempts` (SPEC.md §4). `_loadkit_runs`
/// also keeps the pid and host of the process, so a run whose process died is marked
/// `interrupted` by the next run on the same host.
extension SQLiteDestination: RunLog {
    public func startRun(_ run: RunRecord) throws {
        do {
            try prepareCatalog()
            let host = ProcessInfo.processInfo.hostName
            let arguments = String(decoding: try JSONEncoder().encode(run.arguments), as: UTF8.self)
            try connection.transaction {
                for row in try connection.query("SELECT run_id, pid FROM _loadkit_runs WHERE status = 'running' AND host = ?",
                                                [.text(host)]) {
                    guard case .integer(let pid) = row[1], kill(pid_t(pid), 0) != 0, errno == ESRCH else { continue }
                    try connection.prepare("UPDATE _loadkit_runs SET status = 'interrupted', finished_at = ? WHERE run_id = ?")
                        .execute([.text(run.startedAt), row[0]])
                }
                try connection.prepare("""
                    INSERT INTO _loadkit_runs(run_id, parent_run_id, command, args, started_at, finished_at, status, pid, host)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute([.text(run.runID), run.parentRunID.map(Value.text) ?? .null, .text(run.command),
                                  .text(arguments), .text(run.startedAt), run.finishedAt.map(Value.text) ?? .null,
                                  .text(run.status.rawValue), .integer(Int64(getpid())), .text(host)])
            }
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .runLog, warehouse: path, busyTimeout: connection.busyTimeout)
        }
    }

    public func record(_ attempts: [AttemptRecord]) throws {
        do {
            if attempts.isEmpty { return }
            try prepareCatalog()
            try connection.transaction {
                let insert = try connection.prepare("""
                    INSERT INTO _loadkit_attempts(run_id, table_name, partition_key, attempt, status, started_at,
                                                  finished_at, rows, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for a in attempts {
                    try insert.execute([.text(a.runID), .text(a.table), a.partitionKey.map(Value.text) ?? .null,
                                        .integer(Int64(a.attempt)), .text(a.status.rawValue), .text(a.startedAt),
                                        .text(a.finishedAt), a.rows.map { .integer(Int64($0)) } ?? .null,
                                        a.error.map(Value.text) ?? .null])
                }
            }
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .runLog, warehouse: path, busyTimeout: connection.busyTimeout)
        }
    }

    public func finishRun(_ runID: String, status: RunStatus, finishedAt: String) throws {
        do {
            try connection.prepare("UPDATE _loadkit_runs SET status = ?, finished_at = ? WHERE run_id = ?")
                .execute([.text(status.rawValue), .text(finishedAt), .text(runID)])
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .runLog, warehouse: path, busyTimeout: connection.busyTimeout)
        }
    }

    public func run(_ runID: String) throws -> RunRecord? {
        try prepareCatalog()
        return try connection.query(Self.selectRuns + " WHERE run_id = ?", [.text(runID)]).first.flatMap(Self.runRecord)
    }

    public func runs(limit: Int, failedOnly: Bool) throws -> [RunRecord] {
        try prepareCatalog()
        let filter = failedOnly ? " WHERE status = 'failed'" : ""
        return try connection.query(Self.selectRuns + filter + " ORDER BY started_at DESC, rowid DESC LIMIT ?",
                                    [.integer(Int64(limit))]).compactMap(Self.runRecord)
    }

    public func attempts(runID: String) throws -> [AttemptRecord] {
        try prepareCatalog()
        return try connection.query(Self.selectAttempts + " WHERE run_id = ? ORDER BY rowid", [.text(runID)])
            .compactMap(Self.attemptRecord)
    }

    public func latestAttempts() throws -> [AttemptRecord] {
        try prepareCatalog()
        return try connection.query(Self.selectAttempts + """
             WHERE rowid IN (SELECT max(rowid) FROM _loadkit_attempts GROUP BY table_name, partition_key)
             ORDER BY table_name, partition_key
            """).compactMap(Self.attemptRecord)
    }

    private static let selectRuns =
        "SELECT run_id, parent_run_id, command, args, started_at, finished_at, status FROM _loadkit_runs"
    private static let selectAttempts = """
        SELECT run_id, table_name, partition_key, attempt, status, started_at, finished_at, rows, error
        FROM _loadkit_attempts
        """

    private static func runRecord(_ row: [Value]) -> RunRecord? {
        guard case .text(let id) = row[0], case .text(let command) = row[2], case .text(let args) = row[3],
              case .text(let started) = row[4], case .text(let statusText) = row[6],
              let status = RunStatus(rawValue: statusText) else { return nil }
        let arguments = (try? JSONDecoder().decode([String].self, from: Data(args.utf8))) ?? [args]
        return RunRecord(runID: id, parentRunID: row[1].textValue, command: command, arguments: arguments,
                         startedAt: started, finishedAt: row[5].textValue, status: status)
    }

    private static func attemptRecord(_ row: [Value]) -> AttemptRecord? {
        guard case .text(let runID) = row[0], case .text(let table) = row[1], case .integer(let attempt) = row[3],
              case .text(let statusText) = row[4], let status = AttemptStatus(rawValue: statusText),
              case .text(let started) = row[5], case .text(let finished) = row[6] else { return nil }
        var rows: Int?
        if case .integer(let n) = row[7] { rows = Int(n) }
        return AttemptRecord(runID: runID, table: table, partitionKey: row[2].textValue, attempt: Int(attempt),
                             status: status, startedAt: started, finishedAt: finished, rows: rows,
                             error: row[8].textValue)
    }
}
