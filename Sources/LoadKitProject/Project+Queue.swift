import Foundation
import LoadKit

/// A queued run as ``Project/queuedRun(_:)`` reads it: every task's state (SPEC.md §8).
public struct QueuedRun: Sendable {
    /// The run's id.
    public var runID: String
    /// The run's status: `running` until no task is queued or running, then `success` or `failed`.
    public var status: RunStatus
    /// The tasks, in claim order.
    public var tasks: [QueuedTaskStatus]

    /// Tasks in `state`.
    public func count(_ state: QueuedTaskState) -> Int { tasks.filter { $0.state == state }.count }

    /// Rows written by the tasks done so far.
    public var rows: Int { tasks.reduce(0) { $0 + $1.rows } }

    /// The workers holding running tasks, sorted.
    public var workers: [String] {
        Array(Set(tasks.filter { $0.state == .running }.compactMap(\.worker))).sorted()
    }

    /// The run as a ``RunSummary``, as a local backfill returns it: a done task is `success`,
    /// or `skipped` when it had nothing to load.
    public func summary(seconds: Double) -> RunSummary {
        let items = tasks.map { task -> RunSummary.ItemResult in
            let status: AttemptStatus
            switch task.state {
            case .done: status = task.error == nil ? .success : .skipped
            case .failed: status = .failed
            case .upstreamFailed: status = .upstreamFailed
            case .queued, .running: status = .running
            }
            let message = task.state == .failed ? (task.error ?? "") + (task.worker.map { " (on \($0))" } ?? "") : task.error
            return .init(task: task.table, partitionKey: task.partitionKey, status: status, attempts: task.attempt,
                         rows: task.rows, message: message)
        }
        return RunSummary(runID: runID, status: status, items: items,
                          notStarted: tasks.filter { $0.state == .queued || $0.state == .running }.count, seconds: seconds)
    }
}

/// How `loadkit worker` runs (``Project/work(_:observer:)``).
public struct WorkerOptions: Sendable {
    /// Threads, each with its own connection; `nil` uses `defaults.concurrency`.
    public var concurrency: Int?
    /// Return once no task of any run is queued or running (`--drain`).
    public var drain: Bool

    /// Options; the defaults are the command's.
    public init(concurrency: Int? = nil, drain: Bool = false) {
        self.concurrency = concurrency
        self.drain = drain
    }
}

extension Project {
    /// Puts the tasks of `backfill(table, from:, to:)` (the same plan, upstream tasks included)
    /// on the warehouse's queue for `loadkit worker`s, as `loadkit backfill --queue` does.
    /// Tasks already queued or running (in any run) are left out; when all of them are, nothing
    /// is added and the result names the run that holds them.
    /// - Returns: the run id and how many tasks were added.
    /// - Throws: ``UsageError`` (exit 64) for a SQLite warehouse, an unpartitioned table or a bad
    ///   range; ``ConfigError`` for an unknown table.
    public func enqueueBackfill(_ table: String, from: String, to: String? = nil, force: Bool = false) throws -> EnqueueResult {
        try requireQueue("backfill --queue")
        let partitions = try backfillPartitions(table, from: from, to: to)
        let pipeline = try pipeline
        let plan = try RunPlanning.plan(pipeline, tables: [table], partitions: partitions)
        let order = Dictionary(uniqueKeysWithValues: pipeline.graph.ordered.enumerated().map { ($1.name, $0) })
        let items = plan.items.sorted {
            ($0.partition?.start ?? Int64.min, order[$0.task] ?? 0) < ($1.partition?.start ?? Int64.min, order[$1.task] ?? 0)
        }
        let tasks = try items.map { item -> QueuedTask in
            let task = pipeline.graph.task(item.task)!
            let dependsOn = try task.dependsOn.map { upstream in
                try taskID(upstream, partition: pipeline.graph.task(upstream)!.partitioned ? item.partition?.key : nil)
            }
            return QueuedTask(taskID: try taskID(item.task, partition: item.partition?.key), table: item.task,
                              partitionKey: item.partition?.key, dependsOn: dependsOn, maxAttempts: task.retry.attempts,
                              force: force)
        }
        var equivalent = ["backfill", "--table", table, "--from", from] + (to.map { ["--to", $0] } ?? []) + ["--queue"]
        if force { equivalent.append("--force") }
        let run = RunRecord(runID: RunID.make(), command: "backfill", arguments: arguments(equivalent),
                            startedAt: CivilTime.formatUTC(seconds: Int64(try WallClock.now().timeIntervalSince1970)),
                            plan: items.map(\.planned))
        let destination = try Warehouse(config: config).open()
        return try Warehouse.queue(on: destination).enqueue(run, tasks: tasks)
    }

    /// A queued run's tasks and status; `nil` when `runID` is no run of the queue.
    ///
    /// The tasks are those of the run's plan, including the ones left out of it because they
    /// were queued or running in another run when it was enqueued (their row there is shown):
    /// the status is `running` until every one of them has ended, then `failed` when one
    /// failed, else `success`, as a local backfill of the same range would end.
    /// - Throws: ``UsageError`` for a SQLite warehouse; the database's error.
    public func queuedRun(_ runID: String) throws -> QueuedRun? {
        try QueuedRunFollower(self, runID: runID)?.poll()
    }

    /// The tasks of a queued run still waiting on the queue (`queued`: no attempt running), for
    /// `runs show` (a running task shows as its attempt); empty for a local run or SQLite.
    /// - Throws: the database's error.
    public func pendingTasks(ofRun runID: String) throws -> [QueuedTaskStatus] {
        let warehouse = try Warehouse(config: config)
        guard warehouse.isPostgres else { return [] }
        let destination = try warehouse.open()
        return try Warehouse.queue(on: destination).tasks(runID: runID).filter { $0.state == .queued }
    }

    /// Claims and runs queued tasks, as `loadkit worker` does, until ``cancel()`` (SIGTERM) or,
    /// with `options.drain`, until no task is queued or running.
    /// - Parameter observer: told about every claim and every ended attempt (from worker threads).
    /// - Returns: what its attempts did.
    /// - Throws: ``UsageError`` (exit 64) for a SQLite warehouse; a config or transform error.
    public func work(_ options: WorkerOptions = WorkerOptions(),
                     observer: (@Sendable (QueueWorker.Event) -> Void)? = nil) throws -> QueueWorker.Summary {
        try requireQueue("worker")
        let pipeline = try pipeline
        let warehouse = try Warehouse(config: config)
        let lease = config.queueLease
        // A worker's session left idle inside a transaction for two leases is frozen (SIGSTOP, a
        // paused VM): the server ends it, so its locks do not outlive its lease for long.
        let idleLimit = max(lease * 2, .seconds(5))
        let config = self.config
        let worker = QueueWorker(
            graph: pipeline.graph,
            destinations: { session in try warehouse.open(session: session, idleInTransactionTimeout: idleLimit) },
            queues: { destination in try Warehouse.queue(on: destination) },
            partition: { table, key in
                guard let key else { return nil }
                guard let scheme = config.table(table)?.scheme else {
                    throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned in this worker's loadkit.yml")
                }
                return try scheme.partition(forKey: key)
            },
            name: "\(ProcessInfo.processInfo.hostName) pid \(getpid())",
            options: .init(concurrency: options.concurrency ?? config.defaults.concurrency, lease: lease,
                           drain: options.drain))
        worker.observer = { [self] event in
            guard case .runEnded(let runID, _) = event else { observer?(event); return }
            observer?(.runEnded(runID: runID, warnings: notifyQueuedRun(runID)))
        }
        return withRegistered(worker) { worker.run() }
    }

    /// Runs the config's hooks (SPEC.md §9) for a queued run this worker ended, as a local
    /// backfill does at its end; returns their warnings.
    private func notifyQueuedRun(_ runID: String) -> [String] {
        guard config.notify.onFailure != nil || config.notify.onSuccess != nil || config.notify.onRecovery != nil else {
            return []
        }
        do {
            let destination = try Warehouse(config: config).open()
            guard let record = try destination.run(runID) else { return ["run \(runID) is not in the run log"] }
            let tasks = try Warehouse.queue(on: destination).tasks(runID: runID)
            let iso = ISO8601DateFormatter()
            let seconds = iso.date(from: record.finishedAt ?? "").flatMap { end in
                iso.date(from: record.startedAt).map { end.timeIntervalSince($0) } } ?? 0
            let summary = QueuedRun(runID: runID, status: record.status, tasks: tasks).summary(seconds: seconds)
            return notifyRun(summary, command: record.command, arguments: record.arguments, parentRunID: record.parentRunID)
        } catch {
            return ["run \(runID) ended, but its notifications were not sent: \(error)"]
        }
    }

    /// The task id of (table, partition): the load id of its partition, or of the whole table.
    package func taskID(_ table: String, partition: String?) throws -> String {
        let mode = try config.requireTable(table).write
        return LoadID.make(table: table, mode: mode, scope: partition.map { .partition($0) } ?? .table)
    }

    /// Refuses a queue command on a SQLite warehouse.
    /// - Throws: ``UsageError`` (exit 64) saying why.
    package func requireQueue(_ command: String) throws {
        guard try Warehouse(config: config).isPostgres else {
            throw UsageError("`loadkit \(command)` needs a PostgreSQL warehouse (warehouse: postgres://…), whose "
                + "_loadkit_tasks table is the queue workers on several machines share; a SQLite warehouse is one "
                + "file on one machine: run `loadkit backfill` without --queue there")
        }
    }
}

/// Follows one queued run (``Project/queuedRun(_:)``, `backfill --queue --wait`): the
/// connection and the run's task ids are read once, then ``poll()`` reads the tasks' states as
/// often as the caller asks.
package final class QueuedRunFollower {
    private let runID: String
    private let queue: any WorkQueue
    private let taskIDs: [String]

    /// `nil` when `runID` is no run of the warehouse.
    /// - Throws: ``UsageError`` for a SQLite warehouse; the database's error.
    package init?(_ project: Project, runID: String) throws {
        try project.requireQueue("backfill --queue --wait")
        let destination = try Warehouse(config: project.config).open()
        guard let run = try destination.run(runID) else { return nil }
        self.runID = runID
        queue = try Warehouse.queue(on: destination)
        taskIDs = try (run.plan ?? []).map { try project.taskID($0.table, partition: $0.partition) }
    }

    /// The run's tasks now, and its status (see ``Project/queuedRun(_:)``); `nil` when it has
    /// no task.
    /// - Throws: the database's error.
    package func poll() throws -> QueuedRun? {
        try queue.closeFinishedRuns()
        let tasks = taskIDs.isEmpty ? try queue.tasks(runID: runID) : try queue.latestTasks(taskIDs, preferring: runID)
        guard !tasks.isEmpty else { return nil }
        let states = Set(tasks.map(\.state))
        let status: RunStatus = states.contains(.queued) || states.contains(.running) ? .running
            : states.contains(.failed) || states.contains(.upstreamFailed) ? .failed : .success
        return QueuedRun(runID: runID, status: status, tasks: tasks)
    }
}
