/// The state of a run (SPEC.md §4 `_loadkit_runs.status`).
public enum RunStatus: String, Sendable, Codable {
    /// Started and not finished (or its process died; see ``interrupted``).
    case running
    /// Every task succeeded or was skipped.
    case success
    /// One or more tasks failed.
    case failed
    /// Stopped by a signal, or its process died.
    case interrupted
}

/// The outcome of one attempt (SPEC.md §4 `_loadkit_attempts.status`).
public enum AttemptStatus: String, Sendable, Codable {
    /// The attempt did its work.
    case success
    /// The attempt failed (see its error).
    case failed
    /// Nothing to do: already loaded from an unchanged source.
    case skipped
    /// Not attempted because a task it depends on failed in this run.
    case upstreamFailed = "upstream_failed"
}

/// One row of `_loadkit_runs`.
public struct RunRecord: Sendable, Hashable {
    /// Unique per run (see ``RunID``).
    public var runID: String
    /// The run this one re-runs, for `rerun`.
    public var parentRunID: String?
    /// The command, for example `backfill`.
    public var command: String
    /// The command's arguments, as given.
    public var arguments: [String]
    /// UTC ISO 8601.
    public var startedAt: String
    /// UTC ISO 8601, once finished.
    public var finishedAt: String?
    /// The run's state.
    public var status: RunStatus

    /// Creates a run record.
    public init(runID: String, parentRunID: String? = nil, command: String, arguments: [String],
                startedAt: String, finishedAt: String? = nil, status: RunStatus = .running) {
        self.runID = runID
        self.parentRunID = parentRunID
        self.command = command
        self.arguments = arguments
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
    }
}

/// One row of `_loadkit_attempts`.
public struct AttemptRecord: Sendable, Hashable {
    /// The run.
    public var runID: String
    /// The task (table) name.
    public var table: String
    /// The partition key; `nil` for an unpartitioned task.
    public var partitionKey: String?
    /// 1-based; 0 for `upstream_failed` records (never attempted).
    public var attempt: Int
    /// The outcome.
    public var status: AttemptStatus
    /// UTC ISO 8601.
    public var startedAt: String
    /// UTC ISO 8601.
    public var finishedAt: String
    /// Rows written, when known.
    public var rows: Int?
    /// The full error message (file, line, column) of a failed attempt, or the reason of a skip.
    public var error: String?

    /// Creates an attempt record.
    public init(runID: String, table: String, partitionKey: String?, attempt: Int, status: AttemptStatus,
                startedAt: String, finishedAt: String, rows: Int? = nil, error: String? = nil) {
        self.runID = runID
        self.table = table
        self.partitionKey = partitionKey
        self.attempt = attempt
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rows = rows
        self.error = error
    }
}

/// Where runs and attempts are recorded (the `_loadkit_runs` and `_loadkit_attempts` tables).
public protocol RunLog: AnyObject {
    /// Records a new run as `running`; first marks as `interrupted` the runs of this host whose
    /// process has died without finishing.
    func startRun(_ run: RunRecord) throws
    /// Records attempts (in one transaction).
    func record(_ attempts: [AttemptRecord]) throws
    /// Sets a run's status and finish time.
    func finishRun(_ runID: String, status: RunStatus, finishedAt: String) throws
    /// The run with this id.
    func run(_ runID: String) throws -> RunRecord?
    /// Runs, newest first; only failed ones when `failedOnly`.
    func runs(limit: Int, failedOnly: Bool) throws -> [RunRecord]
    /// A run's attempts in the order they were recorded.
    func attempts(runID: String) throws -> [AttemptRecord]
    /// For each (table, partition), its most recent attempt over all runs.
    func latestAttempts() throws -> [AttemptRecord]
}
