/// What a run did, item by item.
public struct RunSummary: Sendable {
    /// One item's outcome.
    public struct ItemResult: Sendable {
        /// The task.
        public var task: String
        /// The partition key, if any.
        public var partitionKey: String?
        /// The final status (of the last attempt).
        public var status: AttemptStatus
        /// Attempts made (0 for upstream_failed).
        public var attempts: Int
        /// Rows written.
        public var rows: Int
        /// The last error's full message, or a skip's reason.
        public var message: String?
        /// The last error, when it was a ``LoadKitError`` (its code and location), for callers
        /// that report it structured (the command's `--json` error document).
        public var error: LoadKitError? = nil

        /// Creates an item's outcome.
        public init(task: String, partitionKey: String? = nil, status: AttemptStatus, attempts: Int, rows: Int,
                    message: String? = nil, error: LoadKitError? = nil) {
            self.task = task
            self.partitionKey = partitionKey
            self.status = status
            self.attempts = attempts
            self.rows = rows
            self.message = message
            self.error = error
        }
    }

    /// The run's id.
    public var runID: String
    /// success, failed or interrupted.
    public var status: RunStatus
    /// Outcomes in the order the items finished.
    public var items: [ItemResult]
    /// Items never started because the run was interrupted.
    public var notStarted: Int
    /// Wall time of the run, in seconds.
    public var seconds: Double
    /// Messages about the run itself (a failing notifier, for example).
    public var warnings: [String] = []
    /// Due partitions `run --due` did not run because a source file is not there yet
    /// (SPEC.md §9); empty for every other command.
    public var waiting: [WaitingPartition] = []

    /// A due partition whose source file does not exist yet: `waiting` until its table's
    /// `expected_by`, then `late`.
    public struct WaitingPartition: Sendable, Equatable, Codable {
        /// The scheduled table.
        public var table: String
        /// The partition key.
        public var partition: String
        /// `waiting` or `late`.
        public var state: String
        /// The source file it waits for.
        public var path: String

        /// Creates one.
        public init(table: String, partition: String, state: String, path: String) {
            self.table = table; self.partition = partition; self.state = state; self.path = path
        }
    }

    /// Creates a summary.
    public init(runID: String, status: RunStatus, items: [ItemResult], notStarted: Int, seconds: Double) {
        self.runID = runID
        self.status = status
        self.items = items
        self.notStarted = notStarted
        self.seconds = seconds
    }

    /// How many items ended with `status`.
    public func count(_ status: AttemptStatus) -> Int { items.filter { $0.status == status }.count }

    /// Rows written by the whole run.
    public var rows: Int { items.reduce(0) { $0 + $1.rows } }
}

/// Live progress, for a progress line.
public struct RunProgress: Sendable {
    /// Items finished (any status).
    public var done: Int
    /// Items in the plan.
    public var total: Int
    /// Rows written so far.
    public var rows: Int
    /// Items failed so far.
    public var failed: Int
    /// Items skipped so far.
    public var skipped: Int
    /// Seconds since the run started.
    public var elapsed: Double

    /// Creates a snapshot (the runner makes them; observers' tests may too).
    public init(done: Int, total: Int, rows: Int, failed: Int, skipped: Int, elapsed: Double) {
        self.done = done
        self.total = total
        self.rows = rows
        self.failed = failed
        self.skipped = skipped
        self.elapsed = elapsed
    }
}

/// Receives progress from worker threads; must be thread-safe.
public protocol RunObserver: AnyObject, Sendable {
    /// Called after each item finishes.
    func runProgressed(_ progress: RunProgress)
    /// Called with the result of each load a task ran (from the worker thread).
    func loaded(_ result: LoadResult, item: RunPlan.Item)
}

extension RunObserver {
    /// Does nothing: observers that only show progress need not implement it.
    public func loaded(_ result: LoadResult, item: RunPlan.Item) {}
}
