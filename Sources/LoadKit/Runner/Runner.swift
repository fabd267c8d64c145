import Foundation

/// Runs a ``RunPlan`` over a ``TaskGraph``: dependency order, partitions oldest first, a bounded
/// pool of worker threads, retries with backoff for transient errors, and a record of the run
/// and of every attempt.
///
/// Each worker thread opens its own ``Destination`` (one database connection per thread). A
/// failed item marks the items that depend on it, in the same partition (or, for an
/// unpartitioned task, in every partition), `upstream_failed`; other partitions go on unless
/// `failFast`. ``cancel()`` (for SIGINT/SIGTERM) stops taking new items and stops the running
/// attempts at once (their ``Cancellation``: the statement running is interrupted, PostgreSQL
/// `PQcancel` or SQLite `sqlite3_interrupt`, and the load rolls back); such an attempt is recorded
/// `interrupted`, its item failed, and the run `interrupted`.
///
/// A task's ``RunTask/timeout`` bounds each attempt: past it the attempt is cancelled
/// (``Cancellation``, ``Destination/interrupt()``) and fails with ``LoadKitError`` `.timeout`,
/// transient, so it is retried. A task with ``RunTask/batch`` above 1 has a worker take up to
/// that many ready items of the task whose partitions follow each other without a gap and run
/// them as one attempt of ``RunTask/batchAction`` (one attempt record per item); a batch that
/// fails commits nothing and its items are run again one by one, each with its retry policy.
///
/// Attempt records are written in groups (one transaction every 10 ms at most), and at once
/// where a crash would otherwise lose a fact: an attempt's start before its task first uses
/// ``TaskContext/destination`` or a load of ``TaskContext/loader`` first writes, its end when it
/// failed, and everything before the run's status is written; a success's end goes with the next
/// group (within 10 ms, or with the worker's next start).
///
/// ```swift
/// let runner = Runner(graph: try TaskGraph([airlines, flights]),
///                     destinations: { try SQLiteDestination(path: "warehouse.db") },
///                     runLog: try SQLiteDestination(path: "warehouse.db"))
/// let summary = try runner.run(RunPlan(graph: graph, tasks: ["flights"], partitions: days),
///                              command: "backfill", arguments: CommandLine.arguments)
/// ```
public final class Runner: @unchecked Sendable {
    /// How a run behaves.
    public struct Options: Sendable {
        /// Worker threads (at least 1).
        public var concurrency: Int
        /// Reload what is already loaded from unchanged sources.
        public var force: Bool
        /// Stop taking new items after the first failure.
        public var failFast: Bool
        /// Sleeps between attempts; inject one in tests.
        public var sleeper: any Sleeper
        /// Supplies times for the records; inject one in tests.
        public var now: @Sendable () -> Date

        /// Creates options.
        public init(concurrency: Int = 2, force: Bool = false, failFast: Bool = false,
                    sleeper: any Sleeper = ThreadSleeper(), now: @escaping @Sendable () -> Date = Date.init) {
            self.concurrency = max(1, concurrency)
            self.force = force
            self.failFast = failFast
            self.sleeper = sleeper
            self.now = now
        }
    }

    /// The tasks.
    public let graph: TaskGraph
    /// Behaviour.
    public let options: Options
    /// Receives progress after each item.
    public var observer: (any RunObserver)?

    private let destinations: @Sendable () throws -> any Destination
    private let runLog: any RunLog
    private let state = NSCondition()
    private var cancelled = false
    /// Cancelled by ``cancel()``; each running attempt's own cancellation follows it. A new one
    /// per run (a cancellation is final). Guarded by `state`.
    private var runCancellation = Cancellation()

    /// Creates a runner.
    /// - Parameters:
    ///   - graph: the tasks.
    ///   - destinations: opens a destination for one worker thread.
    ///   - runLog: where runs and attempts are recorded (during a run, from one thread at a time).
    ///   - options: concurrency, force, fail-fast, sleeper, clock.
    public init(graph: TaskGraph, destinations: @escaping @Sendable () throws -> any Destination,
                runLog: any RunLog, options: Options = Options()) {
        self.graph = graph
        self.destinations = destinations
        self.runLog = runLog
        self.options = options
    }

    /// Stops taking new items and stops the running attempts: each is cancelled, the statement
    /// its destination runs is interrupted and its load rolls back (a load whose commit already
    /// returned stays committed). Safe to call from any thread or a signal handler's queue.
    public func cancel() {
        state.lock()
        cancelled = true
        let running = runCancellation
        state.broadcast()
        state.unlock()
        // Outside the lock: interrupting a PostgreSQL statement is a round trip to the server.
        running.cancel()
    }

    // MARK: - Scheduling state (guarded by `state`)

    private final class Node {
        let item: RunPlan.Item
        let order: (Int64, Int)
        var waitingOn = 0
        var dependents: [Node] = []
        var finished = false
        init(item: RunPlan.Item, order: (Int64, Int)) {
            self.item = item
            self.order = order
        }
    }

    private var ready: [Node] = []
    private var remaining = 0
    private var running = 0
    private var results: [RunSummary.ItemResult] = []
    private var progress = RunProgress(done: 0, total: 0, rows: 0, failed: 0, skipped: 0, elapsed: 0)
    private var startedAt = ContinuousClock.now

    /// Runs a plan.
    ///
    /// - Parameters:
    ///   - plan: the items; items whose task is not in the graph are an error.
    ///   - runID: the run's id (a new one by default).
    ///   - parentRunID: the run this one re-runs.
    ///   - command: recorded in `_loadkit_runs.command`.
    ///   - arguments: recorded in `_loadkit_runs.args`.
    /// - Returns: the summary; its status is `failed` when any item failed.
    /// - Throws: ``LoadKitError`` `.graph` for an unknown task; the run log's errors.
    public func run(_ plan: RunPlan, runID: String = RunID.make(), parentRunID: String? = nil,
                    command: String, arguments: [String]) throws -> RunSummary {
        let clock = ContinuousClock()
        let started = clock.now
        let nodes = try buildNodes(plan)
        try runLog.startRun(RunRecord(runID: runID, parentRunID: parentRunID, command: command,
                                      arguments: arguments, startedAt: timestamp(),
                                      plan: nodes.map(\.item.planned)))
        state.lock()
        // A runner may run several plans, one after the other.
        startedAt = started
        ready = nodes.filter { $0.waitingOn == 0 }.sorted { $0.order < $1.order }
        remaining = nodes.count
        running = 0
        cancelled = false
        runCancellation = Cancellation()
        results = []
        progress = RunProgress(done: 0, total: nodes.count, rows: 0, failed: 0, skipped: 0, elapsed: 0)
        state.unlock()

        let journal = AttemptJournal(runLog: runLog)
        journal.open()
        let workers = min(options.concurrency, max(1, nodes.count))
        let group = DispatchGroup()
        for index in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                work(runID: runID, journal: journal)
                group.leave()
            }
            thread.name = "loadkit-worker-\(index)"
            thread.start()
        }
        group.wait()

        state.lock()
        let wasCancelled = cancelled
        let notStarted = remaining
        let items = results
        state.unlock()
        let failed = items.contains { $0.status == .failed || $0.status == .upstreamFailed }
        let status: RunStatus = wasCancelled ? .interrupted : failed ? .failed : .success
        // Records that could not be written while the run worked (a full disk, a lock held by
        // another program) are tried once more here; the run's status is written even when
        // they still fail, and the first record error is reported.
        var recordError: (any Error)?
        do { try journal.close() } catch { recordError = error }
        do {
            try runLog.finishRun(runID, status: status, finishedAt: timestamp())
        } catch {
            recordError = recordError ?? error
        }
        if let recordError { throw recordError }
        return RunSummary(runID: runID, status: status, items: items, notStarted: notStarted,
                          seconds: (clock.now - started).seconds)
    }

    private func buildNodes(_ plan: RunPlan) throws -> [Node] {
        let order = Dictionary(uniqueKeysWithValues: graph.ordered.enumerated().map { ($1.name, $0) })
        var byItem: [RunPlan.Item: Node] = [:]
        var nodes: [Node] = []
        for item in plan.items where byItem[item] == nil {
            guard let index = order[item.task] else {
                throw LoadKitError(.graph, "the plan names unknown task '\(item.task)'")
            }
            let node = Node(item: item, order: (item.partition?.start ?? Int64.min, index))
            byItem[item] = node
            nodes.append(node)
        }
        var byTask: [String: [Node]] = [:]
        for node in nodes { byTask[node.item.task, default: []].append(node) }
        for node in nodes {
            let task = graph.task(node.item.task)!
            for dependency in task.dependsOn {
                let upstream: [Node]
                if graph.task(dependency)!.partitioned {
                    upstream = byItem[RunPlan.Item(task: dependency, partition: node.item.partition)].map { [$0] } ?? []
                } else {
                    upstream = byTask[dependency] ?? []
                }
                for u in upstream {
                    u.dependents.append(node)
                    node.waitingOn += 1
                }
            }
        }
        return nodes
    }

    // MARK: - Workers

    private func work(runID: String, journal: AttemptJournal) {
        var destination: (any Destination)?
        var loader: Loader?
        while true {
            state.lock()
            while ready.isEmpty && remaining > 0 && !cancelled && !(options.failFast && progress.failed > 0) {
                if running == 0 && ready.isEmpty { break }
                state.wait()
            }
            if ready.isEmpty || cancelled || (options.failFast && progress.failed > 0) {
                state.broadcast()
                state.unlock()
                return
            }
            let batch = takeBatch(startingWith: ready.removeFirst())
            running += batch.count
            state.unlock()

            do {
                if destination == nil {
                    let opened = try destinations()
                    destination = opened
                    loader = Loader(destination: opened)
                }
            } catch {
                // The worker could not open its destination: the items fail, untried.
                let now = timestamp()
                for node in batch {
                    let result = RunSummary.ItemResult(task: node.item.task, partitionKey: node.item.partition?.key,
                                                       status: .failed, attempts: 1, rows: 0, message: "\(error)")
                    journal.append([AttemptRecord(runID: runID, table: node.item.task,
                                                  partitionKey: node.item.partition?.key, attempt: 1, status: .failed,
                                                  startedAt: now, finishedAt: now, error: "\(error)")])
                    finish(node, result: result, runID: runID, journal: journal)
                }
                continue
            }
            var opened: [(entry: AttemptJournal.Entry, record: AttemptRecord)]?
            if batch.count > 1 {
                switch attemptBatch(batch.map(\.item), runID: runID, destination: destination!, loader: loader!,
                                    journal: journal) {
                case .done(let results):
                    for (node, result) in zip(batch, results) {
                        finish(node, result: result, runID: runID, journal: journal)
                    }
                    continue
                case .failed(let records):
                    // Retried partition by partition, each in its own transaction, so one bad
                    // partition fails alone; the batch's attempt records become their first.
                    opened = records
                }
            }
            for (i, node) in batch.enumerated() {
                let result = attempt(node.item, runID: runID, destination: destination!, loader: loader!,
                                     journal: journal, opened: opened?[i])
                finish(node, result: result, runID: runID, journal: journal)
            }
        }
    }

    /// `first` and, for a task with ``RunTask/batch`` above 1, the ready items of the same
    /// task whose partitions follow it without a gap, up to the batch size, taken out of
    /// `ready`. Called under `state`.
    private func takeBatch(startingWith first: Node) -> [Node] {
        guard let task = graph.task(first.item.task), task.batch > 1, task.batchAction != nil,
              first.item.input == nil, var last = first.item.partition else { return [first] }
        var batch = [first]
        while batch.count < task.batch, let i = ready.firstIndex(where: {
            $0.item.task == first.item.task && $0.item.input == nil && $0.item.partition?.start == last.end
        }) {
            let next = ready.remove(at: i)
            batch.append(next)
            last = next.item.partition!
        }
        return batch
    }

    /// How a batch attempt ended.
    private enum BatchOutcome {
        /// Every item's result (its attempt recorded as ended).
        case done([RunSummary.ItemResult])
        /// Nothing was committed; each item's attempt record, still open (`running`).
        case failed([(entry: AttemptJournal.Entry, record: AttemptRecord)])
    }

    /// Runs consecutive partitions of one task as one attempt of its ``RunTask/batchAction``,
    /// under the task's timeout times the number of partitions. Each item gets its own attempt
    /// record, written `running` first; a failed batch records nothing more (its items are
    /// retried one by one, and those attempts finish these records).
    private func attemptBatch(_ items: [RunPlan.Item], runID: String, destination: any Destination,
                              loader: Loader, journal: AttemptJournal) -> BatchOutcome {
        let task = graph.task(items[0].task)!
        let observer = self.observer
        let cancellation = Cancellation()
        var opened: [(entry: AttemptJournal.Entry, record: AttemptRecord)] = []
        var contexts: [TaskContext] = []
        for item in items {
            let record = AttemptRecord(runID: runID, table: item.task, partitionKey: item.partition?.key, attempt: 1,
                                       status: .running, startedAt: timestamp(), finishedAt: nil, input: item.input)
            let entry = journal.begin(record)
            opened.append((entry, record))
            var context = TaskContext(partition: item.partition, runID: runID, attempt: 1, force: options.force,
                                      destination: destination, loader: loader, input: item.input)
            context.firstUse = .init { journal.makeDurable(entry) }
            context.cancellation = cancellation
            context.reporter = { observer?.loaded($0, item: item) }
            contexts.append(context)
        }
        let first = items[0].partition!.key, last = items[items.count - 1].partition!.key
        let timeout = AttemptTimeout(limit: task.timeout.map { $0 * items.count },
                                     subject: "table \(task.name), partitions \(first)..\(last) (a batch of \(items.count))")
        let outcomes: [RunTask.Outcome]
        do {
            outcomes = try following(cancellation) {
                try timeout.run(cancellation: cancellation, destination: destination) {
                    try task.batchAction!(contexts)
                }
            }
            guard outcomes.count == items.count else {
                throw LoadKitError(.graph, "the batch of \(task.name) returned \(outcomes.count) outcomes for \(items.count) partitions")
            }
        } catch {
            // Handled, not lost: nothing was committed, and each partition is now tried alone,
            // where a bad row, a missing file or a timeout fails (and is recorded for) exactly the
            // partition it belongs to, and a transient fault is retried by the retry policy.
            loader.dropDeferredStarts()
            return .failed(opened)
        }
        let finished = timestamp()
        loader.dropDeferredStarts()
        var done: [RunSummary.ItemResult] = []
        for ((item, outcome), (entry, opening)) in zip(zip(items, outcomes), opened) {
            var record = opening
            record.finishedAt = finished
            let result: RunSummary.ItemResult
            switch outcome {
            case .done(let rows):
                (record.status, record.rows) = (.success, rows)
                result = .init(task: item.task, partitionKey: item.partition?.key, status: .success,
                               attempts: 1, rows: rows, message: nil)
            case .skipped(let reason):
                (record.status, record.rows, record.error) = (.skipped, 0, reason)
                result = .init(task: item.task, partitionKey: item.partition?.key, status: .skipped,
                               attempts: 1, rows: 0, message: reason)
            }
            journal.end(entry, record, durable: false)
            done.append(result)
        }
        return .done(done)
    }

    /// Runs one item with its retry policy, each attempt under the task's timeout, each
    /// recorded in `journal`; returns the outcome.
    /// - Parameter opened: the first attempt's record, already begun `running` (by a batch
    ///   that failed), else `nil`.
    private func attempt(_ item: RunPlan.Item, runID: String, destination: any Destination,
                         loader: Loader, journal: AttemptJournal,
                         opened: (entry: AttemptJournal.Entry, record: AttemptRecord)? = nil) -> RunSummary.ItemResult {
        let task = graph.task(item.task)!
        var attempt = 1
        let observer = self.observer
        let timeout = AttemptTimeout(limit: task.timeout, subject: "table \(item.task)"
            + (item.partition.map { ", partition \($0.key)" } ?? ""))
        while true {
            var record: AttemptRecord
            let entry: AttemptJournal.Entry
            if attempt == 1, let opened {
                (entry, record) = opened
            } else {
                record = AttemptRecord(runID: runID, table: item.task, partitionKey: item.partition?.key,
                                       attempt: attempt, status: .running, startedAt: timestamp(), finishedAt: nil,
                                       input: item.input)
                entry = journal.begin(record)
            }
            var context = TaskContext(partition: item.partition, runID: runID, attempt: attempt, force: options.force,
                                      destination: destination, loader: loader, input: item.input)
            // Written before the task can change the warehouse, so a killed process leaves it behind.
            let firstUse = TaskContext.FirstUse { journal.makeDurable(entry) }
            context.firstUse = firstUse
            context.reporter = { observer?.loaded($0, item: item) }
            let result: RunSummary.ItemResult
            do {
                let outcome = try following(context.cancellation) {
                    try timeout.run(cancellation: context.cancellation, destination: destination) {
                        try task.action(context)
                    }
                }
                switch outcome {
                case .done(let rows):
                    (record.status, record.rows) = (.success, rows)
                    result = .init(task: item.task, partitionKey: item.partition?.key, status: .success,
                                   attempts: attempt, rows: rows, message: nil)
                case .skipped(let reason):
                    (record.status, record.rows, record.error) = (.skipped, 0, reason)
                    result = .init(task: item.task, partitionKey: item.partition?.key, status: .skipped,
                                   attempts: attempt, rows: 0, message: reason)
                }
            } catch {
                loader.dropDeferredStarts()
                let message = "\(error)"
                // Stopped by ``cancel()`` while it ran, like a process killed: `interrupted`.
                let interrupted = (error as? LoadKitError)?.code == .interrupted
                (record.status, record.error) = (interrupted ? .interrupted : .failed, message)
                record.finishedAt = timestamp()
                let retries = RetryPolicy.isTransient(error) && attempt < task.retry.attempts
                journal.end(entry, record, durable: true)
                // A run stopped before or during the wait for the retry does not retry.
                if retries && !isCancelled {
                    pause(for: task.retry.delay(afterAttempt: attempt, unit: options.sleeper.randomUnit()))
                }
                if !retries || isCancelled {
                    return (.init(task: item.task, partitionKey: item.partition?.key, status: .failed,
                                  attempts: attempt, rows: 0,
                                  message: message + (retries ? " (not retried: the run was interrupted)" : ""),
                                  error: error as? LoadKitError))
                }
                attempt += 1
                continue
            }
            loader.dropDeferredStarts()
            record.finishedAt = timestamp()
            // Written with the next group (within the journal's interval, or with the next
            // attempt's start); the worker goes on meanwhile.
            journal.end(entry, record, durable: false)
            return result
        }
    }

    /// Runs `body` with `attempt` cancelled when the run is (``cancel()``).
    private func following<T>(_ attempt: Cancellation, _ body: () throws -> T) throws -> T {
        let run = state.withLock { runCancellation }
        return try run.whileRunning(body, onCancel: { attempt.cancel() })
    }

    /// Waits before a retry; ``cancel()`` ends the wait at once (with the real sleeper; an
    /// injected one is called as it is).
    private func pause(for duration: Duration) {
        guard options.sleeper is ThreadSleeper else { return options.sleeper.sleep(for: duration) }
        let deadline = Date().addingTimeInterval(duration.seconds)
        state.lock()
        defer { state.unlock() }
        while !cancelled && Date() < deadline { _ = state.wait(until: deadline) }
    }

    private var isCancelled: Bool {
        state.lock()
        defer { state.unlock() }
        return cancelled
    }

    private func finish(_ node: Node, result: RunSummary.ItemResult, runID: String, journal: AttemptJournal) {
        state.lock()
        running -= 1
        remaining -= 1
        node.finished = true
        results.append(result)
        progress.done += 1
        progress.rows += result.rows
        switch result.status {
        case .failed: progress.failed += 1
        case .skipped: progress.skipped += 1
        default: break
        }
        var upstreamFailed: [AttemptRecord] = []
        if result.status == .success || result.status == .skipped {
            for dependent in node.dependents {
                dependent.waitingOn -= 1
                if dependent.waitingOn == 0 { insertReady(dependent) }
            }
        } else {
            upstreamFailed = markUpstreamFailed(below: node, because: result, runID: runID)
        }
        progress.elapsed = (ContinuousClock.now - startedAt).seconds
        let snapshot = progress
        state.broadcast()
        state.unlock()
        journal.append(upstreamFailed)
        observer?.runProgressed(snapshot)
    }

    /// Marks every not yet finished item below `node` as upstream_failed; returns their
    /// records. Called under `state`.
    private func markUpstreamFailed(below node: Node, because failed: RunSummary.ItemResult,
                                    runID: String) -> [AttemptRecord] {
        var records: [AttemptRecord] = []
        var stack = node.dependents
        let now = timestamp()
        let reason = "upstream task \(failed.task)\(failed.partitionKey.map { " \($0)" } ?? "") failed"
        while let dependent = stack.popLast() {
            guard !dependent.finished else { continue }
            dependent.finished = true
            remaining -= 1
            progress.done += 1
            results.append(.init(task: dependent.item.task, partitionKey: dependent.item.partition?.key,
                                 status: .upstreamFailed, attempts: 0, rows: 0, message: reason))
            records.append(AttemptRecord(runID: runID, table: dependent.item.task,
                                         partitionKey: dependent.item.partition?.key, attempt: 0,
                                         status: .upstreamFailed, startedAt: now, finishedAt: now, error: reason))
            stack += dependent.dependents
        }
        return records
    }

    /// Keeps `ready` ordered: oldest partition first, then dependency order. Called under `state`.
    private func insertReady(_ node: Node) {
        let index = ready.firstIndex { node.order < $0.order } ?? ready.count
        ready.insert(node, at: index)
    }

    private func timestamp() -> String {
        CivilTime.formatUTC(seconds: Int64(options.now().timeIntervalSince1970))
    }
}
