import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A small loadkit project in its own temporary folder, driven through the `loadkit` binary:
/// `events` (day partitions of UTC timestamps, CSV files `data/<date>.csv`, null token `NA`),
/// `log` (an unpartitioned append table from `data/log.csv`) and `daily` (a SQL transform of
/// `events`). ``yaml(_:)`` writes variants of its config for the definition-change tests.
struct EventsProject {
    let directory: TemporaryDirectory
    var root: String { directory.root }
    var config: String { directory.path("loadkit.yml") }
    var warehouse: String { directory.path("warehouse.db") }

    /// What the config declares; each test changes one thing.
    struct Definition {
        var sourcePath = "data/{date}.csv"
        var nullValues = "[NA]"
        var vType = "real"
        var granularity = "day"
        var timezone = "UTC"
        var partitionColumn = "day"
        var retry = "{ attempts: 1 }"
        var lockTimeout = "5s"
        var transformSQL = "SELECT day, count(*) AS n, sum(v) AS total FROM events WHERE day = :partition GROUP BY day"
        /// More keys of `events`, indented by four spaces (a `schedule:` block, say).
        var eventsExtra = ""
        /// A top-level `notify:` block (or anything else at the top level), not indented.
        var topExtra = ""
    }

    init(_ definition: Definition = Definition()) throws {
        directory = try TemporaryDirectory(prefix: "loadkit-state")
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        try write(definition)
    }

    /// Writes `loadkit.yml` for `definition`.
    func write(_ d: Definition) throws {
        _ = try directory.write("loadkit.yml", """
            warehouse: warehouse.db
            timezone: UTC
            defaults:
              concurrency: 1
              retry: \(d.retry)
              lock_timeout: \(d.lockTimeout)
            tables:
              events:
                source: { path: "\(d.sourcePath)", null_values: \(d.nullValues) }
                columns: { id: integer, ts: timestamp, v: \(d.vType), tag: text }
                partition: { column: \(d.partitionColumn), granularity: \(d.granularity), from: ts, timezone: \(d.timezone) }
                write: replace
            \(d.eventsExtra)
              log:
                source: { path: data/log.csv }
                columns: { id: integer, msg: text }
                write: append
              daily:
                partition: { column: \(d.partitionColumn), granularity: \(d.granularity), timezone: \(d.timezone) }
                sql: "\(d.transformSQL)"
                depends_on: [events]
            \(d.topExtra)

            """)
    }

    /// `data/2024-01-0D.csv` with `rows` rows at 10:00, 11:00, … UTC of that day; the last row's
    /// tag is `NA`.
    @discardableResult
    func day(_ d: Int, rows: Int = 3, value: String = "1.5") throws -> String {
        var text = "id,ts,v,tag\n"
        for i in 0..<rows {
            text += "\(d * 100 + i),2024-01-0\(d)T\(10 + i):00:00Z,\(value),\(i == rows - 1 ? "NA" : "t\(i)")\n"
        }
        return try directory.write("data/2024-01-0\(d).csv", text)
    }

    /// Runs `loadkit ARGS --config loadkit.yml` in the project folder.
    func run(_ arguments: [String], environment: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build loadkit first",
                     sourceLocation: sourceLocation)
        return try ChildProcess.run(Paths.binary, arguments + ["--config", config],
                                    environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 },
                                    currentDirectory: root)
    }

    /// Starts `loadkit ARGS --config loadkit.yml` without waiting.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess.Running {
        try ChildProcess.start(Paths.binary, arguments + ["--config", config],
                               environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 },
                               currentDirectory: root)
    }

    /// Runs with `--json`, expects exit `status`, parses stdout.
    func json(_ arguments: [String], status: Int32 = 0, environment: [String: String] = [:],
              sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try run(arguments + ["--json", "--quiet"], environment: environment, sourceLocation: sourceLocation)
        #expect(result.status == status, "stdout: \(result.stdout)\nstderr: \(result.stderr)", sourceLocation: sourceLocation)
        return try parseObject(result.stdout, sourceLocation: sourceLocation)
    }

    /// Rows of `sql` on the warehouse, read-only.
    func query(_ sql: String) throws -> [[Value]] {
        try SQLiteDestination(readingOnly: warehouse).connection.query(sql)
    }

    /// One integer from `sql`.
    func count(_ sql: String) throws -> Int64 {
        guard case .integer(let n) = try query(sql).first?.first else { return -1 }
        return n
    }

    /// `status --table T --json` partitions by key (of the partitions known to the warehouse,
    /// or of `range`).
    func states(_ table: String, range: (String, String)? = nil,
                sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [String: Any]] {
        let bounds = range.map { ["--from", $0.0, "--to", $0.1] } ?? []
        let report = try json(["status", "--table", table] + bounds, sourceLocation: sourceLocation)
        let partitions = report["partitions"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: partitions.map { ($0["partition"] as? String ?? "", $0) })
    }

    /// The whole table's fingerprint, via the binary.
    func fingerprint(_ table: String) throws -> String {
        try json(["fingerprint", "--table", table])["fingerprint"] as? String ?? ""
    }

    /// Waits (up to 60 s) until some process holds a load lock of the warehouse, so a second
    /// process starts only once the first holds its partition (a condition with a limit, not a
    /// fixed sleep).
    func waitForHeldLock(sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !SQLiteDestination.heldLockKeys(warehouse: warehouse).isEmpty { return }
            usleep(10_000)
        }
        Issue.record("no lock was held within 60 s", sourceLocation: sourceLocation)
    }
}
