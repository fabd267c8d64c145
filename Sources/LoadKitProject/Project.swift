import Foundation
import LoadKit

/// A loadkit project: the tables of one `loadkit.yml` and their warehouse, as a Swift value
/// that does what the `loadkit` command does (SPEC.md §10).
///
/// ```swift
/// import LoadKitProject
///
/// let project = try Project(configPath: "loadkit.yml")
/// let summary = try project.backfill("flights", from: "2013-01-01", to: "2013-01-31")
/// print(summary.status, summary.rows)        // success 27020 (flights, and the airlines it depends on)
/// ```
///
/// Every call reads and writes the same warehouse, ledger and run records as the command, and
/// returns what the command prints with `--json`, as `Codable` values. A run that ends with a
/// failed task returns its `RunSummary` (status `failed`); calls throw only when nothing
/// could run (a config or usage error, an unknown table, an unreachable warehouse).
///
/// Calls may come from any thread (each call is one run, as one command is), and
/// ``cancel()`` interrupts the runs in progress as Ctrl-C does for the command.
public final class Project: @unchecked Sendable {
    package let config: LoadKitConfig
    private let lock = NSLock()
    private var builtPipeline: Pipeline?
    private var crashExecutable: String?
    private var runners: [ObjectIdentifier: Runner] = [:]
    private var queueWorkers: [ObjectIdentifier: QueueWorker] = [:]
    private var currentObserver: (any RunObserver)?
    private var stopping = false

    /// Opens the project described by a config file. Transforms are checked when something
    /// first runs (a `status` or `fingerprint` works even when one of them is refused).
    /// - Parameters:
    ///   - configPath: the `loadkit.yml` to read; relative paths in it are relative to its folder.
    ///   - warehouse: a SQLite file to use instead of the config's `warehouse` (as `--warehouse`);
    ///     the config may then leave `warehouse:` out.
    /// - Throws: ``ConfigError`` naming file, line, column and key for a mistake in the file.
    public convenience init(configPath: String = "loadkit.yml", warehouse: String? = nil) throws {
        try self.init(config: try LoadKitConfig.load(path: configPath, warehouse: warehouse))
    }

    /// A project from config text held in code, as if it were the file `file` (whose folder
    /// anchors the relative paths in it).
    /// - Throws: ``ConfigError``, as ``init(configPath:warehouse:)``.
    public convenience init(yaml: String, file: String = "loadkit.yml") throws {
        try self.init(config: try LoadKitConfig.parse(yaml: yaml, file: file))
    }

    package init(config: LoadKitConfig) throws {
        _ = try Warehouse(config: config)
        // SQLite reads its temp directory from the environment when it first needs one.
        if let tempDir = config.tempDir { setenv("SQLITE_TMPDIR", tempDir, 1) }
        self.config = config
    }

    /// The tables as tasks, built on first use: reads (`status`, `fingerprint`) work even
    /// when a transform elsewhere in the config is refused; anything that runs checks it first.
    /// - Throws: ``ConfigError`` or `LoadKitError` for a transform that is not one read-only
    ///   query, or a dependency cycle.
    package var pipeline: Pipeline {
        get throws {
            if let built = lock.withLock({ builtPipeline }) { return built }
            let built = try Pipeline(config: config)
            lock.withLock { builtPipeline = built }
            return built
        }
    }

    /// The config file the project was read from.
    public var configFile: String { config.file }

    /// The warehouse as configured: a SQLite file (absolute, or relative to the working
    /// directory) or a PostgreSQL URI, which may hold a password (show ``warehouseDisplayName``).
    public var warehouse: String { config.warehouse }

    /// The warehouse for messages: the SQLite path, or the URI with its password masked.
    public var warehouseDisplayName: String { Warehouse.redacted(config.warehouse) }

    /// Whether the warehouse exists yet: the SQLite file, or always for a PostgreSQL server
    /// (whose `_loadkit_` tables a reader may find absent: nothing loaded yet).
    public var warehouseExists: Bool { (try? Warehouse(config: config))?.exists ?? false }

    /// The tables, in the order the config declares them.
    public var tables: [String] { config.tables.map(\.name) }

    /// Told about progress and each finished load of every run this project starts (called
    /// from worker threads).
    public var observer: (any RunObserver)? {
        get { lock.withLock { currentObserver } }
        set { lock.withLock { currentObserver = newValue } }
    }

    /// Interrupts the runs in progress: no new task starts, running loads are cancelled (the
    /// statement each runs is interrupted and its transaction rolls back; a load already
    /// committed stays so), retries stop waiting, each run is recorded `interrupted` (as Ctrl-C
    /// does), and a notification hook still running is killed.
    public func cancel() {
        lock.withLock { stopping = true }
        for runner in lock.withLock({ Array(runners.values) }) { runner.cancel() }
        for worker in lock.withLock({ Array(queueWorkers.values) }) { worker.stop() }
    }

    /// Runs `plan` as one recorded run and runs the config's notifier at its end.
    package func execute(_ plan: RunPlan, command: String, runID: String = RunID.make(), arguments: [String],
                         parentRunID: String? = nil, options: RunOptions, force: Bool = false) throws -> RunSummary {
        // Before anything is written, the run record included.
        try SpacePreflight.check(plan, config: config, concurrency: options.concurrency ?? config.defaults.concurrency)
        let runner = try pipeline.runner(concurrency: options.concurrency, force: force || options.force,
                                         failFast: options.failFast)
        runner.observer = observer
        var summary = try withRegistered(runner) {
            try runner.run(plan, runID: runID, parentRunID: parentRunID, command: command, arguments: arguments)
        }
        summary.warnings += notifyRun(summary, command: command, arguments: arguments, parentRunID: parentRunID)
        return summary
    }

    /// Whether ``cancel()`` was called: a notification hook still running is then killed.
    package var isStopping: Bool { lock.withLock { stopping } }

    /// Runs `body` with `runner` known to ``cancel()``.
    package func withRegistered<T>(_ runner: Runner, _ body: () throws -> T) rethrows -> T {
        let id = ObjectIdentifier(runner)
        lock.withLock { runners[id] = runner }
        defer { lock.withLock { runners[id] = nil } }
        return try body()
    }

    /// Runs `body` with `worker` known to ``cancel()`` (which stops it claiming).
    package func withRegistered<T>(_ worker: QueueWorker, _ body: () throws -> T) rethrows -> T {
        let id = ObjectIdentifier(worker)
        lock.withLock { queueWorkers[id] = worker }
        defer { lock.withLock { queueWorkers[id] = nil } }
        if isStopping { worker.stop() }
        return try body()
    }

    /// The `loadkit` executable verify's crash steps run as their child process; `nil` looks
    /// for `loadkit` on `PATH`.
    public var crashStepExecutable: String? {
        get { lock.withLock { crashExecutable } }
        set { lock.withLock { crashExecutable = newValue } }
    }

    /// The arguments a run records: the command's own when it runs as `loadkit`, else the
    /// equivalent command line of the library call.
    package var recordedArguments: [String]?

    /// The arguments to record, a warehouse URI's password masked (`--warehouse
    /// postgres://u:***@h/db`): run records are read by everyone who can read the warehouse.
    package func arguments(_ equivalent: [String]) -> [String] {
        (recordedArguments ?? equivalent).map { Warehouse.isURI($0) ? Warehouse.redacted($0) : $0 }
    }
}

/// How a run schedules its tasks (the `backfill` flags).
public struct RunOptions: Sendable {
    /// Worker threads; `nil` uses the config's `defaults.concurrency`.
    public var concurrency: Int?
    /// Reload what is already loaded from unchanged sources (`--force`).
    public var force: Bool
    /// Stop taking new tasks after the first failure (`--fail-fast`).
    public var failFast: Bool

    /// Options; the defaults are the command's.
    public init(concurrency: Int? = nil, force: Bool = false, failFast: Bool = false) {
        self.concurrency = concurrency
        self.force = force
        self.failFast = failFast
    }
}
