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
    /// Started and not ended yet (recorded when an attempt starts, so a killed process leaves
    /// it behind).
    case running
    /// Its process died, or the run was stopped, while it ran (set by whoever finds it).
    case interrupted

    /// Whether a rerun should run this item again.
    public var needsRerun: Bool { self == .failed || self == .upstreamFailed || self == .interrupted || self == .running }
}

/// One item of a run's plan as recorded in `_loadkit_runs.plan` (JSON), so `rerun RUN_ID` can
/// run again exactly the items that did not succeed, the never-started ones of a killed run
/// included.
public struct PlannedItem: Sendable, Hashable, Codable {
    /// The task (table) name.
    public var table: String
    /// The partition key; `nil` for an unpartitioned task or a load of one input file.
    public var partition: String?
    /// The input file of a `load --input FILE` (its path as the load opens it), else `nil`.
    public var input: String?

    /// Creates a planned item.
    public init(table: String, partition: String?, input: String? = nil) {
        self.table = table
        self.partition = partition
        self.input = input
    }
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
    /// The items the run was planned to run; `nil` for runs recorded before plans were kept.
    public var plan: [PlannedItem]?
    /// When `loadkit runs dismiss` cleared its failures (UTC ISO 8601), else `nil`.
    public var dismissedAt: String?

    /// Creates a run record.
    public init(runID: String, parentRunID: String? = nil, command: String, arguments: [String],
                startedAt: String, finishedAt: String? = nil, status: RunStatus = .running,
                plan: [PlannedItem]? = nil, dismissedAt: String? = nil) {
        self.plan = plan
        self.dismissedAt = dismissedAt
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
    /// UTC ISO 8601; `nil` while running (or when its process died while it ran).
    public var finishedAt: String?
    /// Rows written, when known.
    public var rows: Int?
    /// The full error message (file, line, column) of a failed attempt, or the reason of a skip.
    public var error: String?
    /// The input file of a `load --input FILE` attempt, else `nil`.
    public var input: String?
    /// Who ran it, for an attempt of a queued task: the worker's host, pid and thread
    /// (`db1 pid 4242 thread 0`); `nil` for a local run, whose process is the run's.
    public var worker: String?

    /// Creates an attempt record.
    public init(runID: String, table: String, partitionKey: String?, attempt: Int, status: AttemptStatus,
                startedAt: String, finishedAt: String?, rows: Int? = nil, error: String? = nil,
                input: String? = nil, worker: String? = nil) {
        self.input = input
        self.worker = worker
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
///
/// Attempts are written when they start (status `running`) and updated when they end, so a
/// process killed while an attempt changes the warehouse leaves its run and attempts behind;
/// whoever looks next (``reapDeadRuns(now:)``) marks them `interrupted`. The runner groups these
/// writes (``writeAttempts(inserting:updating:)``; see ``Runner``).
public protocol RunLog: AnyObject {
    /// Records a new run as `running`, with its plan; first marks as `interrupted` the runs of
    /// this host whose process has died without finishing.
    func startRun(_ run: RunRecord) throws
    /// Records an attempt as it starts; returns its id for ``finishAttempt(_:_:)``.
    func startAttempt(_ attempt: AttemptRecord) throws -> Int64
    /// Updates a started attempt with how it ended.
    func finishAttempt(_ id: Int64, _ attempt: AttemptRecord) throws
    /// Records attempts that start and end at once (upstream_failed ones), in one transaction.
    func record(_ attempts: [AttemptRecord]) throws
    /// Writes a group of attempt changes in one transaction: inserts `inserting` (new attempts,
    /// running or already ended) and updates the attempts `updating` names by the ids this
    /// method or ``startAttempt(_:)`` returned. The runner's journal writes through this.
    /// - Returns: the ids of `inserting`, in order.
    /// - Throws: the destination's error; nothing is written then.
    func writeAttempts(inserting: [AttemptRecord], updating: [(id: Int64, record: AttemptRecord)]) throws -> [Int64]
    /// Sets a run's status and finish time; attempts of it still `running` become `interrupted`.
    func finishRun(_ runID: String, status: RunStatus, finishedAt: String) throws
    /// Marks `interrupted` every run still `running` whose process (on this host) is gone, and
    /// their `running` attempts; returns their run ids.
    @discardableResult func reapDeadRuns(now: String) throws -> [String]
    /// Clears a run's failures from `status` and `rerun --failed` (they stay in its history).
    func dismissRun(_ runID: String, at: String) throws
    /// The run with this id.
    func run(_ runID: String) throws -> RunRecord?
    /// Runs, newest first; only failed and interrupted ones when `failedOnly`.
    func runs(limit: Int, failedOnly: Bool) throws -> [RunRecord]
    /// A run's attempts in the order they were recorded.
    func attempts(runID: String) throws -> [AttemptRecord]
    /// For each (table, partition, input), its most recent attempt over all runs, leaving out
    /// runs whose failures were dismissed.
    func latestAttempts() throws -> [AttemptRecord]
}

extension RunLog {
    /// Writes the group one record at a time (``startAttempt(_:)``, ``finishAttempt(_:_:)``),
    /// each in a transaction of its own: a run log that can do better (SQLite, PostgreSQL)
    /// writes the group in one.
    /// - Returns: the ids of `inserting`, in order.
    /// - Throws: the first error; what was written before it stays written.
    public func writeAttempts(inserting: [AttemptRecord], updating: [(id: Int64, record: AttemptRecord)]) throws -> [Int64] {
        let ids = try inserting.map { try startAttempt($0) }
        for (id, record) in updating { try finishAttempt(id, record) }
        return ids
    }
}
