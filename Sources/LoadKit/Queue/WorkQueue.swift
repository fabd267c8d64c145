/// One task of a queued run, as it is enqueued (SPEC.md §8).
public struct QueuedTask: Sendable, Hashable {
    /// The task's identity: the load id of its (table, partition), so enqueuing the same
    /// backfill twice adds nothing while the first is still queued or running.
    public var taskID: String
    /// The task (table) name.
    public var table: String
    /// The partition key; `nil` for an unpartitioned task.
    public var partitionKey: String?
    /// The ``taskID``s of the upstream tasks it waits for.
    public var dependsOn: [String]
    /// The table's retry policy's attempts (a transient failure is queued again, with its
    /// backoff, until this many attempts failed).
    public var maxAttempts: Int
    /// Reload even when already loaded from an unchanged source.
    public var force: Bool

    /// Creates a task.
    public init(taskID: String, table: String, partitionKey: String?, dependsOn: [String], maxAttempts: Int,
                force: Bool = false) {
        self.force = force
        self.taskID = taskID
        self.table = table
        self.partitionKey = partitionKey
        self.dependsOn = dependsOn
        self.maxAttempts = maxAttempts
    }
}

/// A task a worker claimed: it may run it until its lease expires, renewing it while it works.
public struct TaskClaim: Sendable, Hashable {
    /// The run the task belongs to.
    public var runID: String
    /// The task's identity (its load id).
    public var taskID: String
    /// The task (table) name.
    public var table: String
    /// The partition key; `nil` for an unpartitioned task.
    public var partitionKey: String?
    /// This attempt's number, 1-based: one more each time the task is claimed.
    public var attempt: Int
    /// Reload even when already loaded from an unchanged source (`backfill --queue --force`).
    public var force: Bool
    /// The table's retry policy's attempts.
    public var maxAttempts: Int
    /// The lease token of this attempt: only its holder can finish the task.
    public var token: String

    /// Creates a claim.
    public init(runID: String, taskID: String, table: String, partitionKey: String?, attempt: Int,
                maxAttempts: Int, token: String, force: Bool = false) {
        self.force = force
        self.runID = runID
        self.taskID = taskID
        self.table = table
        self.partitionKey = partitionKey
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.token = token
    }
}

/// What ``WorkQueue/enqueue(_:tasks:)`` did.
public struct EnqueueResult: Sendable, Equatable {
    /// The run that holds the new tasks; when every task was already queued, the run that
    /// holds them (the earliest, when several do).
    public var runID: String
    /// Tasks added.
    public var added: Int
    /// Tasks left out because the same task (load id) is already queued or running.
    public var alreadyQueued: Int
    /// Of those, tasks queued without `--force` that this enqueue's `--force` made reload.
    public var forced = 0
    /// Of those, tasks running without `--force` now: they skip what is loaded from unchanged
    /// sources; enqueue with `--force` again after they end to reload them.
    public var runningWithoutForce = 0

    /// Creates a result.
    public init(runID: String, added: Int, alreadyQueued: Int) {
        self.runID = runID
        self.added = added
        self.alreadyQueued = alreadyQueued
    }
}

/// The state of one task of a queued run (SPEC.md §8).
public enum QueuedTaskState: String, Sendable, Codable {
    /// Waiting for its upstream tasks, its retry time, or a worker.
    case queued
    /// Claimed by a worker whose lease has not expired.
    case running
    /// Committed, or found already loaded.
    case done
    /// Failed for good (a terminal error, or its retries used up).
    case failed
    /// Not run: an upstream task failed.
    case upstreamFailed = "upstream_failed"
}

/// One task's row as the queue holds it, for progress and `status`.
public struct QueuedTaskStatus: Sendable, Hashable {
    /// The task (table) name.
    public var table: String
    /// The partition key; `nil` for an unpartitioned task.
    public var partitionKey: String?
    /// Its state.
    public var state: QueuedTaskState
    /// Attempts so far.
    public var attempt: Int
    /// Rows written by its committed attempt.
    public var rows: Int
    /// The worker holding (or last holding) it.
    public var worker: String?
    /// The last error; for a done task, why it had nothing to load (already loaded from an
    /// unchanged source), or `nil` when it loaded.
    public var error: String?

    /// Creates a status.
    public init(table: String, partitionKey: String?, state: QueuedTaskState, attempt: Int, rows: Int,
                worker: String?, error: String?) {
        self.table = table
        self.partitionKey = partitionKey
        self.state = state
        self.attempt = attempt
        self.rows = rows
        self.worker = worker
        self.error = error
    }
}

/// A queue of tasks kept in the warehouse, drained by ``QueueWorker``s on any number of
/// machines (SPEC.md §8). Every call is its own short transaction except ``fence(_:)``, which
/// runs inside a load's commit transaction.
///
/// The contract:
/// - ``claim(worker:session:lease:tables:)`` takes one ready task (queued, its retry time reached, its
///   upstream tasks done; or running under a lease that expired), gives it a new attempt number
///   and lease token, and never gives one task to two live leases.
/// - Only the holder of a task's current lease token can finish it (``finish(_:as:rows:error:)``,
///   ``retry(_:after:error:)``), and a load's commit fails unless its ``fence(_:)`` finds the
///   token current: a worker that froze past its lease changes nothing when it resumes.
public protocol WorkQueue: AnyObject {
    /// Adds a run (recorded like a local run, status `running`) and its tasks, leaving out those
    /// already queued or running in any run, in one transaction. Adds nothing (not even the run)
    /// when every task is already queued.
    /// - Throws: the database's error.
    func enqueue(_ run: RunRecord, tasks: [QueuedTask]) throws -> EnqueueResult

    /// Claims the oldest ready task for `worker` (its host, pid and thread, for records) under a
    /// lease of `lease`; `nil` when no task is ready. `session` is the name the worker's thread
    /// gives its database sessions: a later claimer of a task whose lease expired ends the
    /// sessions of that name, so a frozen worker's locks and open transaction go with its lease.
    /// Only tasks of `tables` are claimed (the tables of the worker's config).
    func claim(worker: String, session: String, lease: Duration, tables: [String]) throws -> TaskClaim?

    /// Extends the leases of the claims holding `tokens` by `lease` from now.
    /// - Returns: the tokens still held (a lease that expired and was claimed by another worker
    ///   is missing).
    func renew(_ tokens: [String], lease: Duration) throws -> Set<String>

    /// Checks, inside the caller's open transaction on the load's own connection, that `claim`
    /// still holds its lease, and marks the task done there: it commits with the data and ledger.
    /// - Throws: ``LoadKitError`` `.leaseLost` (terminal) when another attempt took it over.
    func fence(_ claim: TaskClaim) -> @Sendable () throws -> Void

    /// Ends `claim`'s attempt for good: done (`rows` written; `message`, when set, says why
    /// nothing needed loading: the attempt is recorded `skipped`), or failed with `message`,
    /// which marks the tasks below it in the run `upstream_failed`. Then ends the run when it
    /// has no task left to run.
    /// - Returns: `false` when the lease was lost (another attempt owns the task; nothing changed).
    @discardableResult
    func finish(_ claim: TaskClaim, as state: QueuedTaskState, rows: Int, message: String?) throws -> Bool

    /// Queues `claim`'s task again, to be claimed `after` from now (the retry backoff; another
    /// machine may take it).
    /// - Returns: `false` when the lease was lost.
    @discardableResult
    func retry(_ claim: TaskClaim, after: Duration, error: String) throws -> Bool

    /// Whether any task of any run is queued or running (``QueueWorker`` with `drain` stops
    /// when none is).
    func hasActiveTasks() throws -> Bool

    /// Ends every queued run that has no task left to run (a worker killed right after its last
    /// commit leaves its run open); returns their ids.
    @discardableResult
    func closeFinishedRuns() throws -> [String]

    /// The tasks of `runID`, in claim order.
    func tasks(runID: String) throws -> [QueuedTaskStatus]

    /// The newest row of each of `taskIDs`, in their order: `runID`'s own when it has one, else
    /// the one of the run that shares it (a task left out of `runID` because it was queued or
    /// running elsewhere). Ids with no row are left out.
    func latestTasks(_ taskIDs: [String], preferring runID: String) throws -> [QueuedTaskStatus]

    /// The runs this queue object ended (``finish(_:as:rows:message:)``,
    /// ``closeFinishedRuns()``) since the last call: exactly one caller ends each run, so its
    /// notifications are sent once.
    func takeEndedRuns() -> [String]
}

extension LoadKitError.Code {
    /// A queued task's lease was taken over by another attempt (its worker froze or lost its
    /// connection past the lease); this attempt changes nothing.
    public static let leaseLost = LoadKitError.Code("queue.lease_lost")
}
