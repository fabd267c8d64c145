import Foundation
import LoadKitTesting
import Testing

/// A small project on one destination (``TestWarehouse``: a SQLite file, or a fresh schema on
/// the test PostgreSQL server), driven through the `loadkit` binary: by default one table
/// `events` (`id integer, ts timestamp, v real`) partitioned by the UTC day of `ts` into
/// `event_date`, read from `data/events-{date}.csv`, one attempt per load.
///
/// ```swift
/// let project = try DestinationProject(.postgres)
/// try project.day("2024-01-05", rows: 3)
/// let report = try project.json(["load", "--table", "events", "--partition", "2024-01-05"])
/// ```
struct DestinationProject {
    let directory: TemporaryDirectory
    let warehouse: TestWarehouse
    var root: String { directory.root }
    var config: String { directory.path("loadkit.yml") }

    /// The default `tables:` block.
    static let eventsTable = """
          events:
            source: { path: "data/events-{date}.csv" }
            columns: { id: integer, ts: timestamp, v: real }
            partition: { column: event_date, granularity: day, from: ts, timezone: UTC }
            write: replace
            retry: { attempts: 1 }

        """

    /// - Parameter tables: the `tables:` entries, indented by two spaces.
    init(_ destination: TestDestination, tables: String = Self.eventsTable) throws {
        directory = try TemporaryDirectory(prefix: "loadkit-dest")
        warehouse = try TestWarehouse(destination, in: directory)
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        try directory.write("loadkit.yml", warehouse.configLines + "defaults: { lock_timeout: 10s }\ntables:\n" + tables)
    }

    /// Writes `data/events-<day>.csv` with `rows` rows (ids from `firstID`, one a minute from
    /// 01:00 UTC, `v` = id + `offset`) and returns its path.
    @discardableResult
    func day(_ day: String, rows: Int, firstID: Int = 1, offset: Double = 0.5) throws -> String {
        var text = "id,ts,v\n"
        for i in 0..<rows {
            let minutes = 60 + i % 1380
            text += "\(firstID + i),\(day)T\(two(minutes / 60)):\(two(minutes % 60)):\(two(i / 1380 % 60))Z,\(Double(firstID + i) + offset)\n"
        }
        return try directory.write("data/events-\(day).csv", text)
    }

    private func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `loadkit ARGS --config …` in the project folder, failure injection off unless
    /// `environment` sets it.
    func run(_ arguments: [String], environment: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary),
                     "loadkit binary not found at \(Paths.binary); run `swift build` first", sourceLocation: sourceLocation)
        return try ChildProcess.run(Paths.binary, arguments + ["--config", config],
                                    environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 }, currentDirectory: root)
    }

    /// Starts `loadkit ARGS --config …` without waiting.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess.Running {
        try ChildProcess.start(Paths.binary, arguments + ["--config", config],
                               environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 }, currentDirectory: root)
    }

    /// `loadkit ARGS --json --config …`, expecting exit `status`, parsed.
    func json(_ arguments: [String], status: Int32 = 0, environment: [String: String] = [:],
              sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try run(arguments + ["--json"], environment: environment, sourceLocation: sourceLocation)
        #expect(result.status == status, "stdout: \(result.stdout)\nstderr: \(result.stderr)", sourceLocation: sourceLocation)
        return try parseObject(result.stdout, sourceLocation: sourceLocation)
    }

    /// `loadkit fingerprint --table T [--partition P] --json` as `"<rows> <fingerprint>"`.
    func fingerprint(_ table: String = "events", _ partition: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let object = try json(["fingerprint", "--table", table] + (partition.map { ["--partition", $0] } ?? []),
                              sourceLocation: sourceLocation)
        return "\(object["rows"] as? Int ?? -1) \(object["fingerprint"] as? String ?? "")"
    }

    /// The fingerprint a clean load of the same files gives on a fresh SQLite warehouse (the
    /// same rows give the same fingerprint on every destination): `"<rows> <fingerprint>"` of
    /// `table` after `loads`.
    func cleanFingerprint(_ loads: [[String]], table: String = "events", partition: String? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let reference = try DestinationProject(.sqlite, tables: String(contentsOfFile: config, encoding: .utf8)
            .components(separatedBy: "tables:\n").dropFirst().joined(separator: "tables:\n"))
        try FileManager.default.removeItem(atPath: reference.directory.path("data"))
        try FileManager.default.copyItem(atPath: directory.path("data"), toPath: reference.directory.path("data"))
        for load in loads { _ = try reference.json(load, sourceLocation: sourceLocation) }
        return try reference.fingerprint(table, partition, sourceLocation: sourceLocation)
    }

    /// Waits for `child`, killing it (SIGKILL) if it still runs after `limit`: a test of "it stops
    /// at once" then fails on its exit instead of hanging.
    static func wait(_ child: ChildProcess.Running, killingAfter limit: Duration) -> ChildProcess.Result {
        let done = NSLock()
        nonisolated(unsafe) var ended = false
        let watchdog = DispatchWorkItem {
            done.withLock { if !ended { child.signal(SIGKILL) } }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit.seconds, execute: watchdog)
        let result = child.wait()
        done.withLock { ended = true }
        watchdog.cancel()
        return result
    }
}
