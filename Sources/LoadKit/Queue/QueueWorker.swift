import Foundation

/// Drains a ``WorkQueue``: `concurrency` threads, one destination (database connection) each,
/// claim ready tasks and run them with their table's retry policy, as `loadkit worker` does
/// (SPEC.md §8).
///
/// - A claimed task runs under a lease that a heartbeat thread renews every third of the lease;
///   a renewal that finds the task taken over (this process froze, or lost its connection, past
///   the lease) cancels the attempt, which rolls back. Its load's commit runs the queue's
///   ``WorkQueue/fence(_:)`` in the same transaction as the data and the ledger, so even an
///   attempt that misses the cancellation cannot commit: at-least-once execution, exactly-once
///   effect.
/// - A transient failure is queued again with the retry policy's backoff (any worker may take
///   it); a terminal one, or the last attempt, fails the task and its downstream tasks.
/// - Idle threads poll with backoff (50 ms doubling to ``Options/pollInterval``). A lost
///   connection is reopened with the same backoff.
/// - ``stop()`` (SIGTERM, SIGINT) stops claiming; running attempts commit or roll back; a
///   transient failure meanwhile is given back to the queue at once; then ``run()`` returns.
public final class QueueWorker: @unchecked Sendable {
    /// How a worker behaves.
    public struct Options: Sendable {
        /// Threads, each with its own connection (at least 1).
        public var concurrency: Int
        /// How long a claim lasts without renewal (the config's `queue: { lease: }`, default 30 s).
        public var lease: Duration
        /// Return once no task of any run is queued or running (`--drain`).
        public var drain: Bool
        /// The longest wait between two polls of an empty queue.
        public var pollInterval: Duration

        /// Creates options.
        public init(concurrency: Int = 1, lease: Duration = .seconds(30), drain: Bool = false,
                    pollInterval: Duration = .seconds(1)) {
            self.concurrency = max(1, concurrency)
            self.lease = lease
            self.drain = drain
            self.pollInterval = pollInterval
        }
    }

    /// What a worker tells its observer.
    public enum Event: Sendable {
        /// A thread claimed a task.
        case claimed(TaskClaim, worker: String)
        /// A task's attempt ended: `state` is `done`, `failed`, or `queued` (retried later).
        case finished(TaskClaim, state: QueuedTaskState, rows: Int, message: String?)
        /// The attempt lost its lease to another worker; nothing of it was committed.
        case leaseLost(TaskClaim)
        /// The queue could not be reached; the thread retries after `retryIn`.
        case unavailable(message: String, retryIn: Duration)
        /// This worker ended a run (it finished the run's last task, or found a run whose last
        /// worker died after its last commit); `warnings` from sending its notifications.
        case runEnded(runID: String, warnings: [String])
    }

    /// Tasks by outcome, for the worker's exit.
    public struct Summary: Sendable, Equatable {
        /// Attempts that ended with their task done.
        public var done = 0
        /// Attempts that failed their task for good.
        public var failed = 0
        /// Attempts that failed and were queued again.
        public var retried = 0
        /// Attempts whose lease another worker took over.
        public var lost = 0
    }

    /// The tasks, by table name.
    public let graph: TaskGraph
    /// Behaviour.
    public let options: Options
    /// The worker's name in records: host and pid (`db1 pid 4242`); each thread adds its number.
    public let name: String
    /// Told about each claim and each ended attempt (called from worker threads).
    public var observer: (@Sendable (Event) -> Void)?

    private let destinations: @Sendable (String) throws -> any Destination
    private let queues: @Sendable (any Destination) throws -> any WorkQueue
    private let partition: @Sendable (String, String?) throws -> Partition?
    private let force: Bool
    private let state = NSCondition()
    private var stopping = false
    private var threadsLeft = 0
    private var held: [String: (claim: TaskClaim, cancellation: Cancellation)] = [:]
    private var lostTokens: Set<String> = []
    private var summary = Summary()

    /// Creates a worker.
    /// - Parameters:
    ///   - graph: the config's tasks (a claimed task not in it fails: its worker's config differs).
    ///   - destinations: opens a destination for one thread (and one for the heartbeat), its
    ///     database sessions named by the argument (PostgreSQL's `application_name`), so that a
    ///     worker taking over an expired lease can end them.
    ///   - queues: the queue on a destination's connection, so its fence runs in that
    ///     destination's commit transaction.
    ///   - partition: the partition of (table, key) by the table's scheme; `nil` for no key.
    ///   - name: host and pid, for attempt records.
    ///   - force: reload partitions already loaded from unchanged sources.
    ///   - options: concurrency, lease, drain, poll interval.
    public init(graph: TaskGraph, destinations: @escaping @Sendable (String) throws -> any Destination,
                queues: @escaping @Sendable (any Destination) throws -> any WorkQueue,
                partition: @escaping @Sendable (String, String?) throws -> Partition?,
                name: String, force: Bool = false, options: Options = Options()) {
        self.graph = graph
        self.destinations = destinations
        self.queues = queues
        self.partition = partition
        self.name = name
        self.force = force
        self.options = options
    }

    /// Stops claiming; running attempts end as they do; ``run()`` then returns. Safe from any
    /// thread or a signal handler's queue.
    public func stop() {
        state.lock()
        stopping = true
        state.broadcast()
        state.unlock()
    }

    /// Runs until ``stop()``, or with ``Options/drain`` until no task is queued or running.
    /// - Returns: what its attempts did.
    public func run() -> Summary {
        state.lock()
        threadsLeft = options.concurrency
        state.unlock()
        let group = DispatchGroup()
        for slot in 0..<options.concurrency {
            group.enter()
            let thread = Thread { [self] in
                work(worker: "\(name) thread \(slot)", session: "\(sessionPrefix)-\(slot)")
                state.withLock { threadsLeft -= 1; state.broadcast() }
                group.leave()
            }
            thread.name = "loadkit-queue-\(slot)"
            thread.start()
        }
        let heartbeat = Thread { [self] in beat() }
        heartbeat.name = "loadkit-heartbeat"
        heartbeat.start()
        group.wait()
        return state.withLock { summary }
    }

    // MARK: - Threads

    private var isStopping: Bool { state.withLock { stopping } }

    /// Waits `duration`, or less when ``stop()`` comes first.
    private func pause(_ duration: Duration) {
        let deadline = Date().addingTimeInterval(duration.seconds)
        state.lock()
        while !stopping && Date() < deadline { _ = state.wait(until: deadline) }
        state.unlock()
    }

    /// `lkw-<pid>-<8 hex>`: unique to this process, short enough for `application_name` (63 bytes).
    private let sessionPrefix = "lkw-\(getpid())-" + String(UInt32.random(in: .min ... .max), radix: 16)

    /// One thread's connection: its destination, a loader over it, and the queue on it.
    private typealias Connection = (destination: any Destination, loader: Loader, queue: any WorkQueue)

    private func work(worker: String, session: String) {
        var connection: Connection?
        // Each (re)connection names its sessions anew (`<session>-<n>`), so that taking over
        // this thread's own expired task ends only the sessions of the connection it lost.
        var generation = 0
        func connect() throws -> Connection {
            generation += 1
            let destination = try destinations("\(session)-\(generation)")
            return (destination, Loader(destination: destination), try queues(destination))
        }
        var idle = Duration.milliseconds(50)
        while !isStopping {
            do {
                if connection == nil { connection = try connect() }
                guard let claim = try connection!.queue.claim(worker: worker, session: "\(session)-\(generation)",
                                                              lease: options.lease, tables: tableNames) else {
                    try connection!.queue.closeFinishedRuns()
                    reportEndedRuns(connection!.queue)
                    if options.drain, try !connection!.queue.hasActiveTasks() { return }
                    pause(idle)
                    idle = min(idle * 2, options.pollInterval)
                    continue
                }
                idle = .milliseconds(50)
                observer?(.claimed(claim, worker: worker))
                let failed = run(claim, on: connection!)
                if let failed {
                    // A failed attempt may have left its connections broken (a server restart, a
                    // session ended by the server): its end is recorded on fresh ones, which the
                    // thread keeps.
                    connection = try connect()
                    try record(failed, claim: claim, on: connection!.queue)
                }
                reportEndedRuns(connection!.queue)
            } catch {
                // The queue's connection failed (a restarted server, a cut network): reopened
                // after a pause; a claim it held expires and is taken again.
                connection = nil
                observer?(.unavailable(message: "\(error)", retryIn: idle))
                pause(idle)
                idle = min(idle * 2, options.pollInterval)
            }
        }
    }

    /// The tables this worker's config has: it claims only their tasks (a worker deployed with
    /// another config leaves the rest to the others).
    private var tableNames: [String] { graph.ordered.map(\.name) }

    /// Runs one claimed attempt. On success records its end (done) and returns `nil`; on
    /// failure returns the error, to be recorded by ``record(_:claim:on:)`` on a fresh connection.
    private func run(_ claim: TaskClaim, on connection: Connection) -> (any Error)? {
        guard let task = graph.task(claim.table) else {
            return LoadKitError(.graph, "table '\(claim.table)' is not in this worker's loadkit.yml", isTransient: true)
        }
        let cancellation = Cancellation()
        state.withLock { held[claim.token] = (claim, cancellation) }
        defer { state.withLock { _ = held.removeValue(forKey: claim.token) } }
        let destination = connection.destination
        let timeout = AttemptTimeout(limit: task.timeout, subject: "table \(claim.table)"
            + (claim.partitionKey.map { ", partition \($0)" } ?? ""))
        do {
            var context = TaskContext(partition: try partition(claim.table, claim.partitionKey), runID: claim.runID,
                                      attempt: claim.attempt, force: force || claim.force, destination: destination,
                                      loader: connection.loader, input: nil)
            context.cancellation = cancellation
            context.commitGuard = connection.queue.fence(claim)
            let target = DestinationHandle(destination)
            let outcome = try cancellation.whileRunning({
                try timeout.run(cancellation: cancellation, destination: destination) { try task.action(context) }
            }, onCancel: { target.destination.interrupt() })
            let rows: Int
            let skipReason: String?
            switch outcome {
            case .done(let n): (rows, skipReason) = (n, nil)
            case .skipped(let reason): (rows, skipReason) = (0, reason)
            }
            if try connection.queue.finish(claim, as: .done, rows: rows, message: skipReason) {
                report(claim, .done, rows: rows, message: skipReason)
            } else {
                report(claim, nil, rows: 0, message: nil)
            }
            state.withLock { _ = lostTokens.remove(claim.token) }
            return nil
        } catch {
            return error
        }
    }

    /// Records a failed attempt: queued again (transient, attempts left, or stopping), failed,
    /// or nothing when its lease was lost meanwhile.
    /// - Throws: the queue's error (the lease then expires and another worker runs the task).
    private func record(_ error: any Error, claim: TaskClaim, on queue: any WorkQueue) throws {
        defer { state.withLock { _ = lostTokens.remove(claim.token) } }
        if state.withLock({ lostTokens.contains(claim.token) }) || (error as? LoadKitError)?.code == .leaseLost {
            report(claim, nil, rows: 0, message: "\(error)")
            return
        }
        let message = "\(error)"
        let delay = graph.task(claim.table).map {
            isStopping ? Duration.zero : $0.retry.delay(afterAttempt: claim.attempt, unit: Double.random(in: 0...1))
        } ?? options.lease
        if RetryPolicy.isTransient(error) && (claim.attempt < claim.maxAttempts || isStopping) {
            // Given back at once when stopping (SIGTERM), else after the backoff.
            if try queue.retry(claim, after: delay, error: message) {
                report(claim, .queued, rows: 0, message: message)
            } else {
                report(claim, nil, rows: 0, message: message)
            }
        } else if try queue.finish(claim, as: .failed, rows: 0, message: message) {
            report(claim, .failed, rows: 0, message: message)
        } else {
            report(claim, nil, rows: 0, message: message)
        }
    }

    private func reportEndedRuns(_ queue: any WorkQueue) {
        for runID in queue.takeEndedRuns() { observer?(.runEnded(runID: runID, warnings: [])) }
    }

    /// Counts an ended attempt and tells the observer; `state` `nil` is a lost lease.
    private func report(_ claim: TaskClaim, _ ended: QueuedTaskState?, rows: Int, message: String?) {
        state.withLock {
            switch ended {
            case .done: summary.done += 1
            case .failed: summary.failed += 1
            case .queued: summary.retried += 1
            default: summary.lost += 1
            }
        }
        observer?(ended.map { .finished(claim, state: $0, rows: rows, message: message) } ?? .leaseLost(claim))
    }

    /// Renews the leases of running attempts every third of the lease until every thread has
    /// returned; cancels the attempts whose lease another worker took.
    private func beat() {
        var queue: (any WorkQueue)?
        let interval = options.lease / 3
        while true {
            let deadline = Date().addingTimeInterval(interval.seconds)
            state.lock()
            while threadsLeft > 0 && Date() < deadline { _ = state.wait(until: deadline) }
            let done = threadsLeft == 0
            let claims = held
            state.unlock()
            if done { return }
            if claims.isEmpty { continue }
            do {
                if queue == nil { queue = try queues(try destinations("\(sessionPrefix)-heartbeat")) }
                let kept = try queue!.renew(Array(claims.keys), lease: options.lease)
                for (token, entry) in claims where !kept.contains(token) {
                    state.withLock { _ = lostTokens.insert(token) }
                    entry.cancellation.cancel()
                }
            } catch {
                // Tried again at the next beat on a new connection; a lease that runs out
                // meanwhile is taken over, and this attempt's fence then refuses its commit.
                queue = nil
                observer?(.unavailable(message: "heartbeat: \(error)", retryIn: interval))
            }
        }
    }
}

/// A destination handed to the cancelling thread, which only calls ``Destination/interrupt()``
/// (every destination allows it from another thread).
private final class DestinationHandle: @unchecked Sendable {
    let destination: any Destination
    init(_ destination: any Destination) { self.destination = destination }
}
