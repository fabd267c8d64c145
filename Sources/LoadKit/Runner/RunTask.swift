import Foundation

/// A unit of work of the runner: one table's load (or transform, or any closure) for one
/// partition, or once per run for an unpartitioned task.
///
/// Named `RunTask` so as not to shadow Swift concurrency's `Task`.
///
/// ```swift
/// let audit = RunTask(name: "audit", dependsOn: ["flights"], partitioned: true) { context in
///     print("checked", context.partition!.key)
///     return .done(rows: 0)
/// }
/// ```
public struct RunTask: Sendable {
    /// What one attempt of a task did.
    public enum Outcome: Sendable, Equatable {
        /// Work was done; `rows` rows were written (0 for tasks that write nothing).
        case done(rows: Int)
        /// Nothing needed doing (for example: already loaded from an unchanged source).
        case skipped(reason: String)
    }

    /// The task's name: for a table's load, the table name. Unique in a graph.
    public var name: String
    /// Names of the tasks that must succeed first (for the same partition, or once for an
    /// unpartitioned upstream task).
    public var dependsOn: [String]
    /// `true` when the task runs once per partition; `false` when once per run.
    public var partitioned: Bool
    /// How failed attempts are retried.
    public var retry: RetryPolicy
    /// One attempt. Throw a ``RetryableError`` with `isTransient == true` to be retried.
    public var action: @Sendable (TaskContext) throws -> Outcome
    /// How long one attempt may run (wall clock) before the runner cancels it (the table's
    /// `timeout:`); `nil`: no limit. A cancelled attempt fails with ``LoadKitError``
    /// `.timeout`, which is transient, so ``retry`` retries it. See ``TaskContext/cancellation``.
    public var timeout: Duration?
    /// Up to this many consecutive partitions of this task are run as one attempt of
    /// ``batchAction`` (the table's `batch:`); 1 (the default) runs each partition alone.
    public var batch: Int = 1
    /// One attempt over several consecutive partitions (oldest first, one context each), all
    /// or nothing: it returns one outcome per context, in order, or throws and has changed
    /// nothing. A batch that throws is run again partition by partition with ``action``, so one
    /// bad partition fails alone. `nil`: the task is never batched.
    public var batchAction: (@Sendable ([TaskContext]) throws -> [Outcome])?

    /// Creates a task.
    /// - Parameters:
    ///   - name: unique in its graph.
    ///   - dependsOn: upstream task names.
    ///   - partitioned: once per partition (`true`) or once per run.
    ///   - retry: the retry policy; three attempts by default.
    ///   - action: one attempt of the work.
    public init(name: String, dependsOn: [String] = [], partitioned: Bool = true,
                retry: RetryPolicy = RetryPolicy(),
                action: @escaping @Sendable (TaskContext) throws -> Outcome) {
        self.name = name
        self.dependsOn = dependsOn
        self.partitioned = partitioned
        self.retry = retry
        self.action = action
    }
}

/// What an attempt knows about where it runs.
public struct TaskContext {
    /// The partition, for a partitioned task.
    public var partition: Partition?
    /// The run's id.
    public var runID: String
    /// The attempt number, 1-based.
    public var attempt: Int
    /// Reload even what is already loaded from an unchanged source.
    public var force: Bool
    /// This worker's destination (one connection per worker thread). The first use of it in an
    /// attempt makes the attempt's start record durable before the task can change the
    /// warehouse (see ``Runner``); a task that writes elsewhere and should leave its attempt
    /// behind when killed reads it first.
    public var destination: any Destination {
        get { firstUse?.happen(); return storedDestination }
        set { storedDestination = newValue }
    }
    /// A loader over ``destination``. Through it the attempt's start record is made durable
    /// just before a load first writes to the warehouse (its first row, or its commit), not
    /// when the loader is taken: a load parses a small input before it writes, and a backfill's
    /// worker then parses while another worker's write transaction runs, instead of waiting
    /// for it to write the record. The record is written with the next group (within 10 ms)
    /// in any case, so a load killed while it parses a large input leaves it behind too.
    public var loader: Loader {
        get {
            if let firstUse { storedLoader.beforeNextWrite(firstUse) }
            return storedLoader
        }
        set { storedLoader = newValue }
    }
    private var storedDestination: any Destination
    private var storedLoader: Loader
    /// Called once, at the first use of ``destination`` or ``loader``: the runner's journal
    /// writes the attempt's start there.
    var firstUse: FirstUse?
    /// The input file the item names (`load --input FILE`), else `nil`.
    public var input: String?
    /// Cancelled by the runner when the attempt runs past the task's ``RunTask/timeout``: pass
    /// it to loads (``LoadRequest/cancellation``) and check it in long loops.
    public var cancellation = Cancellation()
    /// For a queued task: the fence its load runs inside its commit transaction
    /// (``LoadRequest/beforeCommit``), which throws when this worker no longer holds the
    /// attempt's lease; `nil` for a local run.
    public var commitGuard: (@Sendable () throws -> Void)?
    /// Receives each load's result (the `load` command prints it).
    var reporter: (@Sendable (LoadResult) -> Void)?

    /// Passes a load's result to the runner's observer.
    public func report(_ result: LoadResult) { reporter?(result) }

    init(partition: Partition?, runID: String, attempt: Int, force: Bool, destination: any Destination,
         loader: Loader, input: String?) {
        self.partition = partition
        self.runID = runID
        self.attempt = attempt
        self.force = force
        self.storedDestination = destination
        self.storedLoader = loader
        self.input = input
    }

    /// A hook run once, however often the context (a value) was copied, from whichever thread
    /// uses it first.
    final class FirstUse: @unchecked Sendable {
        private let lock = NSLock()
        private var action: (() -> Void)?
        private var didHappen = false
        /// Whether ``happen()`` was called.
        var happened: Bool { lock.withLock { didHappen } }

        init(_ action: @escaping () -> Void) { self.action = action }

        func happen() {
            let run: (() -> Void)? = lock.withLock {
                guard !didHappen else { return nil }
                didHappen = true
                defer { action = nil }
                return action
            }
            run?()
        }
    }
}
