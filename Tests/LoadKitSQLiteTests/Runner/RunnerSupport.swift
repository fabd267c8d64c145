import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Paths of the package and of the built `loadkit` binary, for the runner's process-level tests.
enum RunnerPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The `loadkit` binary built next to the test bundle (`swift build --build-tests` builds it).
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `.build/<triple>/debug/loadkitPackageTests.xctest`.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("loadkit").path
    }
}

/// A ``Sleeper`` that never sleeps: it records every requested delay and draws the jitter unit
/// 1.0, so each delay is the policy's ceiling.
final class RunnerRecordingSleeper: Sleeper, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []

    func sleep(for duration: Duration) { lock.withLock { recorded.append(duration) } }
    func randomUnit() -> Double { 1.0 }

    /// The delays requested so far, in order.
    var durations: [Duration] { lock.withLock { recorded } }
}

/// A counter shared by the attempts of closure tasks running on worker threads.
final class RunnerCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    /// Adds one and returns the new value.
    func next() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}

/// A ``RunObserver`` that keeps every progress report.
final class RunnerProgressRecorder: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var received: [RunProgress] = []

    func runProgressed(_ progress: RunProgress) { lock.withLock { received.append(progress) } }
    var reports: [RunProgress] { lock.withLock { received } }
}

/// One row of `_loadkit_ledger`, as stored.
struct RunnerLedgerRow: Hashable, CustomStringConvertible {
    var table: String
    var partition: String?
    var rows: Int64
    var fingerprint: String
    var sourceFingerprint: String
    var runID: String
    var loadedAt: String

    var description: String { "\(table) \(partition ?? "-") rows=\(rows) fp=\(fingerprint.prefix(12)) run=\(runID)" }
}

/// A terminal error of a closure task (not a ``RetryableError``).
struct RunnerPlainError: Error, CustomStringConvertible {
    var description: String
}

/// A warehouse in its own temporary directory with daily `events` CSV files in UTC:
/// `data/events-2024-01-DD.csv`, columns `id,ts,v`, partitioned by the day of `ts` into
/// `event_date`; and a SQL transform `daily` counting each day's events.
final class RunnerEventsWarehouse {
    let dir: TemporaryDirectory
    var root: String { dir.root }
    var warehouse: String { dir.path("warehouse.db") }

    static let utc = TimeZone(identifier: "UTC")!
    static let scheme = PartitionScheme(granularity: .day, timeZone: utc)
    static let schema = try! TableSchema([Column("id", .integer), Column("ts", .timestamp), Column("v", .real)])
    static let dailySQL =
        "SELECT event_date, count(*) AS n FROM events WHERE event_date = :partition GROUP BY event_date"

    let table: TargetTable

    init() throws {
        dir = try TemporaryDirectory(prefix: "loadkit-runner")
        try FileManager.default.createDirectory(atPath: dir.path("data"), withIntermediateDirectories: true)
        table = try TargetTable(name: "events", schema: Self.schema,
                                partitioning: .init(column: "event_date", scheme: Self.scheme, sourceColumn: "ts"))
    }

    /// `2024-01-DD`.
    static func key(_ day: Int) -> String { "2024-01-" + (day < 10 ? "0\(day)" : "\(day)") }

    /// The relative path of a day's file, as errors name it.
    static func relativePath(_ day: Int) -> String { "data/events-\(key(day)).csv" }

    /// The CSV of day `day` of January 2024: `count` rows, ids `day*100 + i`, one per hour.
    /// With `badLine`, the `v` field of that physical line (header = line 1) is `abc`.
    static func csv(day: Int, count: Int = 3, badLine: Int? = nil, valueOffset: Double = 0) -> String {
        var text = "id,ts,v\n"
        for i in 0..<count {
            let hour = i < 10 ? "0\(i)" : "\(i)"
            let v = i + 2 == badLine ? "abc" : "\(Double(i) + 0.5 + valueOffset)"
            text += "\(day * 100 + i),\(key(day))T\(hour):30:00Z,\(v)\n"
        }
        return text
    }

    /// Writes day `day`'s file (default content from ``csv(day:count:badLine:valueOffset:)``).
    @discardableResult
    func writeDay(_ day: Int, _ contents: String? = nil) throws -> String {
        try dir.write(Self.relativePath(day), contents ?? Self.csv(day: day))
    }

    func writeDays(_ days: ClosedRange<Int>) throws {
        for day in days { try writeDay(day) }
    }

    /// Day partitions `2024-01-from` through `2024-01-to`.
    func days(_ from: Int, _ to: Int) throws -> [Partition] {
        try BackfillRange.partitions(Self.scheme, from: Self.key(from), to: Self.key(to), now: Date())
    }

    var source: SourceTemplate {
        SourceTemplate(path: root + "/data/events-{date}.csv", options: SourceOptions(timeZone: Self.utc),
                       baseDirectory: root)
    }

    func loadTask(retry: RetryPolicy = RetryPolicy(attempts: 1)) -> RunTask {
        .load(table, source: source, retry: retry, lockTimeout: .seconds(10))
    }

    func dailyTask(retry: RetryPolicy = RetryPolicy(attempts: 1)) -> RunTask {
        .transform(name: "daily", sql: Self.dailySQL, schema: nil,
                   partitioning: .init(column: "event_date", scheme: Self.scheme, sourceColumn: nil),
                   dependsOn: ["events"], retry: retry, lockTimeout: .seconds(10))
    }

    /// A runner over this warehouse: one destination per worker and one for the run log.
    func runner(_ tasks: [RunTask], concurrency: Int = 2, force: Bool = false,
                sleeper: any Sleeper = RunnerRecordingSleeper()) throws -> Runner {
        let path = warehouse
        return Runner(graph: try TaskGraph(tasks), destinations: { try SQLiteDestination(path: path) },
                      runLog: try SQLiteDestination(path: path),
                      options: .init(concurrency: concurrency, force: force, sleeper: sleeper))
    }

    func log() throws -> SQLiteDestination { try SQLiteDestination(path: warehouse) }

    func db() throws -> SQLiteConnection { try SQLiteConnection(path: warehouse) }

    /// `_loadkit_ledger` of `table`, ordered by partition key.
    func ledger(_ table: String = "events") throws -> [RunnerLedgerRow] {
        try Self.ledger(at: warehouse, table: table)
    }

    static func ledger(at warehouse: String, table: String) throws -> [RunnerLedgerRow] {
        try SQLiteConnection(path: warehouse).query("""
            SELECT table_name, partition_key, rows, fingerprint, source_fingerprint, run_id, loaded_at
            FROM _loadkit_ledger WHERE table_name = ? ORDER BY partition_key
            """, [.text(table)]).map { row in
            func text(_ i: Int) -> String { row[i].textValue ?? "<\(row[i])>" }
            let rows: Int64 = if case .integer(let n) = row[2] { n } else { -1 }
            return RunnerLedgerRow(table: text(0), partition: row[1].textValue, rows: rows, fingerprint: text(3),
                                   sourceFingerprint: text(4), runID: text(5), loadedAt: text(6))
        }
    }

    /// The `_loadkit_runs` row of `runID`: status and parent.
    func runRow(_ runID: String) throws -> (status: String?, parent: String?, finishedAt: String?) {
        let rows = try db().query("SELECT status, parent_run_id, finished_at FROM _loadkit_runs WHERE run_id = ?",
                                  [.text(runID)])
        guard let row = rows.first else { return (nil, nil, nil) }
        return (row[0].textValue, row[1].textValue, row[2].textValue)
    }

    /// An integer scalar.
    func count(_ sql: String) throws -> Int64 {
        guard case .integer(let n)? = try db().scalar(sql) else { return -1 }
        return n
    }
}

/// `(task, partition key) → status` of a summary's items, for exact comparisons.
func runnerStatuses(_ summary: RunSummary) -> [String: AttemptStatus] {
    Dictionary(uniqueKeysWithValues: summary.items.map { ("\($0.task) \($0.partitionKey ?? "-")", $0.status) })
}

/// A loadkit project for the CLI: `loadkit.yml` over daily events files, run by the real binary.
final class RunnerCLIProject {
    let events: RunnerEventsWarehouse
    var root: String { events.root }
    var config: String { events.dir.path("loadkit.yml") }

    /// The config: `events` (daily CSV files) and the `daily` transform depending on it.
    static func yaml(warehouse: String = "warehouse.db", notify: String? = nil) -> String {
        """
        warehouse: \(warehouse)
        timezone: UTC
        defaults:
          concurrency: 2
          retry: { attempts: 5, initial_delay: 50ms, max_delay: 500ms }
          lock_timeout: 30s
        tables:
          events:
            source:
              path: data/events-{date}.csv
            columns: { id: integer, ts: timestamp, v: real }
            partition: { column: event_date, granularity: day, from: ts }
            write: replace
          daily:
            partition: { column: event_date, granularity: day }
            sql: |
              \(RunnerEventsWarehouse.dailySQL)
            write: replace
            depends_on: [events]
        """ + (notify.map { "\nnotify:\n  on_failure: \"\($0)\"\n" } ?? "\n")
    }

    init() throws {
        events = try RunnerEventsWarehouse()
        try events.dir.write("loadkit.yml", Self.yaml())
    }

    /// Runs `loadkit ARGS --config loadkit.yml` in the project folder.
    func run(_ arguments: [String], configFile: String = "loadkit.yml", environment: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
        try #require(FileManager.default.isExecutableFile(atPath: RunnerPaths.binary),
                     "loadkit binary not found at \(RunnerPaths.binary); run `swift build --build-tests` first",
                     sourceLocation: sourceLocation)
        return try ChildProcess.run(RunnerPaths.binary, arguments + ["--config", events.dir.path(configFile)],
                                    environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 },
                                    currentDirectory: root)
    }
}

/// The `runId` of a run command's `--json` output.
func runnerRunID(fromJSON stdout: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any],
                              "not a JSON object: \(stdout)", sourceLocation: sourceLocation)
    return try #require(object["runId"] as? String, "no runId in \(stdout)", sourceLocation: sourceLocation)
}

/// A `loadkit` child process started without waiting (for runs side by side). Output goes to
/// files, so it can never block on a full pipe. Started with Foundation's `Process`, not a shell
/// with background jobs: a child of the test process inherits a signal mask that blocks SIGCHLD,
/// and a shell's `wait` then never returns.
final class RunnerChild {
    private let process = Process()
    private let outPath: String
    private let errPath: String

    struct Ended {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    init(_ arguments: [String], in directory: String, outputPrefix: String) throws {
        outPath = outputPrefix + ".out"
        errPath = outputPrefix + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: RunnerPaths.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["LOADKIT_FAILPOINT": ""]) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
    }

    func wait() -> Ended {
        process.waitUntilExit()
        return Ended(status: process.terminationStatus,
                     stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// A late-bound reference shared with a task's closure.
final class RunnerBox<T: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// A gate closure tasks wait at until the test opens it (with a timeout, so a bug cannot hang
/// the suite).
final class RunnerGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the gate is open; `false` after `seconds` without it opening.
    @discardableResult
    func wait(seconds: Double = 10) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while !isOpen {
            if !condition.wait(until: deadline) { return isOpen }
        }
        return true
    }
}

/// The order in which closure tasks ran, as `task key` strings.
final class RunnerTrace: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []

    func append(_ entry: String) { lock.withLock { entries.append(entry) } }
    var all: [String] { lock.withLock { entries } }
}
