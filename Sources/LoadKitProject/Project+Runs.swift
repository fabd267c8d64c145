import Foundation
import LoadKit
import LoadKitSQLite

/// One attempt of a task in the run log: `{"table", "partition", "attempt", "status",
/// "startedAt", "finishedAt", "rows", "error"}` (as `loadkit runs show --json` prints it).
public struct AttemptInfo: Codable, Sendable, Equatable {
    /// The table.
    public var table: String
    /// The partition key, if any.
    public var partition: String?
    /// 1 for the first attempt.
    public var attempt: Int
    /// `running`, `success`, `skipped`, `failed`, `upstream_failed` or `interrupted`.
    public var status: String
    /// When it started (UTC ISO 8601).
    public var startedAt: String
    /// When it ended, if it did.
    public var finishedAt: String?
    /// Rows written, in rows.
    public var rows: Int?
    /// Its error or skip reason.
    public var error: String?
    /// The input file of a `load --input` (absent otherwise).
    public var input: String?
    /// The worker that ran an attempt of a queued task: host, pid and thread (absent otherwise).
    public var worker: String?

    package init(_ a: AttemptRecord) {
        table = a.table; partition = a.partitionKey; attempt = a.attempt; status = a.status.rawValue
        startedAt = a.startedAt; finishedAt = a.finishedAt; rows = a.rows; error = a.error; input = a.input
        worker = a.worker
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
        try c.encode(attempt, forKey: .attempt); try c.encode(status, forKey: .status)
        try c.encode(startedAt, forKey: .startedAt); try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(rows, forKey: .rows); try c.encode(error, forKey: .error)
        try c.encodeIfPresent(input, forKey: .input); try c.encodeIfPresent(worker, forKey: .worker)
    }
    enum CodingKeys: String, CodingKey { case table, partition, attempt, status, startedAt, finishedAt, rows, error, input, worker }
}

/// One run in the run log: `{"runId", "parentRunId", "command", "args", "startedAt",
/// "finishedAt", "status", "failures": [attempt]}` (as `loadkit runs --json` prints it).
public struct RunInfo: Codable, Sendable, Equatable {
    /// The run's id (audit only, SPEC.md §5).
    public var runId: String
    /// The run it re-ran, or the verify run it is a step of.
    public var parentRunId: String?
    /// `load`, `backfill`, `run`, `rerun` or `verify`.
    public var command: String
    /// Its command-line arguments.
    public var args: [String]
    /// When it started (UTC ISO 8601).
    public var startedAt: String
    /// When it ended, if it did.
    public var finishedAt: String?
    /// `running`, `success`, `failed` or `interrupted`.
    public var status: String
    /// Its failed and upstream-failed attempts (listed with `failedOnly`, or by ``Project/runRecord(_:)``).
    public var failures: [AttemptInfo]
    /// When ``Project/dismissRun(_:)`` dismissed it (absent otherwise).
    public var dismissedAt: String?

    package init(_ r: RunRecord, failures: [AttemptRecord]) {
        runId = r.runID; parentRunId = r.parentRunID; command = r.command; args = r.arguments
        startedAt = r.startedAt; finishedAt = r.finishedAt; status = r.status.rawValue
        self.failures = failures.map(AttemptInfo.init)
        dismissedAt = r.dismissedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(runId, forKey: .runId); try c.encode(parentRunId, forKey: .parentRunId)
        try c.encode(command, forKey: .command); try c.encode(args, forKey: .args)
        try c.encode(startedAt, forKey: .startedAt); try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(status, forKey: .status); try c.encode(failures, forKey: .failures)
        try c.encodeIfPresent(dismissedAt, forKey: .dismissedAt)
    }
    enum CodingKeys: String, CodingKey { case runId, parentRunId, command, args, startedAt, finishedAt, status, failures, dismissedAt }
}

extension Project {
    /// Runs, newest first, as `loadkit runs [--failed]`; runs whose process died are marked
    /// `interrupted` first. An absent warehouse has no runs.
    /// - Parameters:
    ///   - limit: how many runs at most.
    ///   - failedOnly: only failed (and interrupted) runs, each with its failed attempts.
    public func runs(limit: Int = 20, failedOnly: Bool = false) throws -> [RunInfo] {
        guard let log = try openRunLog() else { return [] }
        return try log.runs(limit: limit, failedOnly: failedOnly).map { run in
            RunInfo(run, failures: failedOnly ? try log.attempts(runID: run.runID).filter(\.status.isFailure) : [])
        }
    }

    /// One run with every attempt, as `loadkit runs show RUN_ID`.
    /// - Throws: ``UsageError`` for an unknown run.
    public func runRecord(_ runID: String) throws -> (run: RunInfo, attempts: [AttemptInfo]) {
        guard let log = try openRunLog(), let run = try log.run(runID) else {
            throw UsageError("no run \(runID); `loadkit runs` lists them")
        }
        let attempts = try log.attempts(runID: runID)
        return (RunInfo(run, failures: attempts.filter(\.status.isFailure)), attempts.map(AttemptInfo.init))
    }

    /// Stops counting run `runID`'s failures in `status` and ``rerunFailed(options:)``, as
    /// `loadkit runs dismiss RUN_ID`; the run and its attempts stay in the history.
    /// - Returns: when it was dismissed (UTC ISO 8601).
    /// - Throws: ``UsageError`` for an unknown run.
    @discardableResult
    public func dismissRun(_ runID: String) throws -> String {
        guard let log = try openRunLog(), try log.run(runID) != nil else {
            throw UsageError("no run \(runID); `loadkit runs` lists them")
        }
        let now = CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
        try log.dismissRun(runID, at: now)
        return now
    }

    /// The run log after marking runs whose process died `interrupted`; `nil` without a warehouse.
    private func openRunLog() throws -> (any WarehouseDestination)? {
        let warehouse = try Warehouse(config: config)
        guard warehouse.exists else { return nil }
        let log = try warehouse.open()
        try log.reapDeadRuns(now: CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)))
        return log
    }
}

private extension AttemptStatus {
    var isFailure: Bool { self == .failed || self == .upstreamFailed }
}
