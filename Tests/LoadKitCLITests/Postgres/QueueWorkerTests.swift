import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// `backfill --queue` and `loadkit worker` (SPEC.md §8) with real worker processes against the
/// test server over TCP (127.0.0.1): the result equals a local backfill whatever happens to
/// the workers.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct QueueWorkerTests {
    static func backfill(_ from: String, _ to: String, table: String = "flights") -> [String] {
        ["backfill", "--table", table, "--from", from, "--to", to, "--queue"]
    }

    /// The tasks of the schema's queue by state.
    static func states(_ pg: PostgresExample) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try pg.db.query("SELECT state, count(*) FROM \(pg.schema.name)._loadkit_tasks GROUP BY state") {
            counts[row[0] ?? ""] = Int(row[1] ?? "") ?? 0
        }
        return counts
    }

    /// The pid in the lease owner of the running task of `table` (`host pid N thread T`).
    static func runningOwner(_ pg: PostgresExample, table: String) throws -> String? {
        try pg.db.scalar("SELECT lease_owner FROM \(pg.schema.name)._loadkit_tasks WHERE state = 'running' AND table_name = '\(table)'")
    }

    /// The fingerprints a local SQLite backfill of the same range gives.
    static func localFingerprints(_ from: String, _ to: String) throws -> [String: String] {
        let sqlite = try ExampleWorkspace()
        _ = try sqlite.json(["backfill", "--table", "flights", "--from", from, "--to", to, "--quiet"])
        var result: [String: String] = [:]
        for table in ["flights", "airlines"] {
            result[table] = try sqlite.json(["fingerprint", "--table", table])["fingerprint"] as? String
        }
        return result
    }

    @Test("A 30-day, 2-table backfill drained by 3 worker processes equals a local backfill; enqueuing it twice adds nothing; each partition commits once")
    func threeWorkers() throws {
        let pg = try PostgresExample()
        let queued = try pg.json(Self.backfill("2013-01-01", "2013-01-30"))
        #expect(queued["added"] as? Int == 31, "30 days and airlines: \(queued)")
        let runID = try #require(queued["runId"] as? String)
        let again = try pg.json(Self.backfill("2013-01-01", "2013-01-30"))
        #expect(again["added"] as? Int == 0 && again["alreadyQueued"] as? Int == 31)
        #expect(again["runId"] as? String == runID, "names the run that holds the tasks")
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_runs") == "1", "no second run")

        let status = try pg.json(["status", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-30"])
        #expect((status["counts"] as? [String: Int])?["queued"] == 30, "\(status)")
        let pending = try pg.json(["runs", "show", runID])["pending"] as? [[String: Any]] ?? []
        #expect(pending.count == 31 && pending.allSatisfy { $0["state"] as? String == "queued" },
                "runs show lists the tasks no worker has run yet")

        let workers = try (0..<3).map { _ in try pg.start(["worker", "--drain", "--concurrency", "1", "--json"]) }
        let results = workers.map { $0.wait() }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let done = try results.map { try parseObject($0.stdout)["done"] as? Int ?? -1 }
        #expect(done.reduce(0, +) == 31, "every task done once: \(done)")

        #expect(try Self.states(pg) == ["done": 31])
        let local = try Self.localFingerprints("2013-01-01", "2013-01-30")
        #expect(try pg.fingerprint("flights").hex == local["flights"])
        #expect(try pg.fingerprint("airlines").hex == local["airlines"])
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights'") == "30")
        #expect(try pg.scalar("""
            SELECT count(*) FROM \(pg.schema.name)._loadkit_attempts WHERE status = 'success' AND worker LIKE '% pid %'
            """) == "31", "one successful attempt per task, each naming its worker")
        let run = try pg.json(["runs", "show", runID])
        #expect((run["run"] as? [String: Any])?["status"] as? String == "success", "\(run)")
        let after = try pg.json(["status", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-30"])
        #expect((after["counts"] as? [String: Int])?["loaded"] == 30)
    }

    @Test("kill -9 of a worker mid-task (2 s lease): another worker takes the task over within a few seconds and the result equals a local backfill")
    func killedWorker() throws {
        let pg = try PostgresExample(lease: "2s")
        let queued = try pg.json(Self.backfill("2013-01-01", "2013-01-03"))
        let runID = try #require(queued["runId"] as? String)
        let stuck = try pg.start(["worker", "--concurrency", "1"], environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=120s"])
        try pg.waitUntil("the first worker holds airlines") { try Self.runningOwner(pg, table: "airlines") != nil }
        stuck.signal(SIGKILL)
        _ = stuck.wait()

        let started = Date()
        let rescuer = try pg.start(["worker", "--drain", "--concurrency", "1"])
        let result = rescuer.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 30, "lease 2 s: taken over in about one lease")
        #expect(try Self.states(pg) == ["done": 4])
        let attempts = try pg.json(["runs", "show", runID])["attempts"] as? [[String: Any]] ?? []
        let airlines = attempts.filter { $0["table"] as? String == "airlines" }
        #expect(airlines.map { $0["status"] as? String } == ["interrupted", "success"], "\(airlines)")
        #expect((airlines.first?["error"] as? String)?.contains("lease expired") == true)
        let local = try Self.localFingerprints("2013-01-01", "2013-01-03")
        #expect(try pg.fingerprint("flights").hex == local["flights"])
        #expect(try pg.fingerprint("airlines").hex == local["airlines"])
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty, "nothing left beside the target")
    }

    @Test("A worker frozen (SIGSTOP) past its lease: another commits the task; resumed, the frozen one commits nothing (one ledger commit)")
    func frozenWorker() throws {
        let pg = try PostgresExample(lease: "2s")
        _ = try pg.json(Self.backfill("2013-01-01", "2013-01-01"))
        let runID = try #require(try pg.scalar("SELECT run_id FROM \(pg.schema.name)._loadkit_runs"))
        let frozen = try pg.start(["worker", "--drain", "--concurrency", "1", "--json"],
                                  environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=4s"])
        try pg.waitUntil("the first worker holds airlines") { try Self.runningOwner(pg, table: "airlines") != nil }
        let owner = try #require(try Self.runningOwner(pg, table: "airlines"))
        frozen.signal(SIGSTOP)
        let other = try pg.start(["worker", "--drain", "--concurrency", "1"]).wait()
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try Self.states(pg) == ["done": 2])
        let loadedAt = try pg.scalar("SELECT loaded_at FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'airlines'")
        frozen.signal(SIGCONT)
        let resumed = frozen.wait()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try parseObject(resumed.stdout)["done"] as? Int == 0, "the frozen worker finished nothing")
        #expect(try pg.scalar("SELECT loaded_at FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'airlines'") == loadedAt,
                "the ledger entry is the other worker's, unchanged")
        let attempts = try pg.json(["runs", "show", runID])["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.filter { $0["status"] as? String == "success" }.count == 2, "one per task: \(attempts)")
        #expect(attempts.first { $0["status"] as? String == "interrupted" }?["worker"] as? String == owner)
    }

    @Test("A worker whose own sessions are ended mid-task (as a server restart would) reconnects and finishes every task; nothing fails")
    func sessionsEnded() throws {
        let pg = try PostgresExample(lease: "2s")
        let queued = try pg.json(Self.backfill("2013-01-01", "2013-01-04"))
        let runID = try #require(queued["runId"] as? String)
        let worker = try pg.start(["worker", "--drain", "--concurrency", "1", "--json"],
                                  environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=3s", "LOADKIT_FAILPOINT_TIMES": "1"])
        try pg.waitUntil("the worker holds airlines") { try Self.runningOwner(pg, table: "airlines") != nil }
        let ended = try pg.db.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'lkw-\(worker.pid)-%'")
        #expect(!ended.isEmpty)
        let result = worker.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.states(pg) == ["done": 5], "\(result.stderr)")
        let run = try pg.json(["runs", "show", runID])
        #expect((run["run"] as? [String: Any])?["status"] as? String == "success", "\(run)")
        let local = try Self.localFingerprints("2013-01-01", "2013-01-04")
        #expect(try pg.fingerprint("flights").hex == local["flights"])
    }

    @Test("--wait follows the tasks its run shares with a backfill queued before it, and reports them")
    func waitIncludesSharedTasks() throws {
        let pg = try PostgresExample()
        _ = try pg.json(Self.backfill("2013-01-02", "2013-01-02"))
        let waiting = try pg.start(Self.backfill("2013-01-01", "2013-01-03") + ["--wait", "--json"])
        try pg.waitUntil("the second backfill is queued") {
            try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_tasks") == "4"
        }
        _ = try pg.start(["worker", "--drain"]).wait()
        let report = waiting.wait()
        #expect(report.status == 0, "\(report.stderr)")
        let items = try parseObject(report.stdout)["items"] as? [[String: Any]] ?? []
        #expect(items.compactMap { $0["partition"] as? String }.sorted() == ["2013-01-01", "2013-01-02", "2013-01-03"],
                "the shared 2013-01-02 is reported too: \(items)")
        #expect(items.count == 4, "airlines too")
    }

    @Test("SIGTERM: a worker stops claiming, lets its running load commit, exits 0; the other tasks stay queued")
    func sigterm() throws {
        let pg = try PostgresExample()
        _ = try pg.json(Self.backfill("2013-01-01", "2013-01-03"))
        let worker = try pg.start(["worker", "--concurrency", "1", "--json"],
                                  environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=2s"])
        try pg.waitUntil("the worker holds airlines") { try Self.runningOwner(pg, table: "airlines") != nil }
        worker.signal(SIGTERM)
        let result = worker.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try parseObject(result.stdout)["done"] as? Int == 1)
        #expect(try Self.states(pg) == ["done": 1, "queued": 3])
    }

    @Test("A terminal failure: --wait exits 1 naming the partition and the worker; the other partitions load; the worker that ends the run sends on_failure once")
    func terminalFailure() throws {
        let pg = try PostgresExample()
        let yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        try (yaml + "notify:\n  on_failure: \"cat >> failure.json\"\n").write(toFile: pg.workspace.config, atomically: true,
                                                                              encoding: .utf8)
        try FileManager.default.removeItem(atPath: pg.workspace.dayFile("2013-01-02"))
        let waiting = try pg.start(Self.backfill("2013-01-01", "2013-01-03") + ["--wait", "--json"])
        try pg.waitUntil("the backfill is queued") {
            try pg.scalar("SELECT to_regclass('\(pg.schema.name)._loadkit_tasks') IS NOT NULL") == "t"
                && pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_tasks") == "4"
        }
        let worker = try pg.start(["worker", "--drain", "--concurrency", "1"]).wait()
        #expect(worker.status == 0, "a failed task does not fail the worker: \(worker.stderr)")
        let report = waiting.wait()
        #expect(report.status == 1, "\(report.stdout) \(report.stderr)")
        let summary = try parseObject(report.stdout)
        let items = summary["items"] as? [[String: Any]] ?? []
        let failed = items.first { $0["status"] as? String == "failed" }
        #expect(failed?["partition"] as? String == "2013-01-02")
        #expect((failed?["message"] as? String)?.contains("source file not found") == true)
        #expect((failed?["message"] as? String)?.contains(" pid ") == true, "names the worker: \(failed ?? [:])")
        #expect((summary["counts"] as? [String: Int])?["success"] == 3)
        let payload = try String(contentsOfFile: pg.workspace.directory.path("failure.json"), encoding: .utf8)
        #expect(payload.components(separatedBy: "\"loadkit.run/1\"").count == 2, "one notification: \(payload)")
        #expect(payload.contains(summary["runId"] as? String ?? "?") && payload.contains("2013-01-02"))
    }
}

/// A worker that reaches the server over a real network link (a network namespace joined by a
/// veth pair, relayed to the loopback-only test server) and loses it mid-task.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason),
       .enabled(if: NetworkNamespace.unavailableReason == nil, Comment(rawValue: NetworkNamespace.unavailableReason ?? "")))
struct QueueNetworkTests {
    @Test("A worker in another network namespace loses its link mid-task: its lease expires, a worker here takes the task over, the result equals a local backfill")
    func linkCut() throws {
        let pg = try PostgresExample(lease: "2s")
        let namespace = try NetworkNamespace()
        let port = try #require(URL(string: pg.schema.url)?.port)
        let relay = try TCPRelay(listenAddress: namespace.hostAddress, targetPort: UInt16(port))
        let remote = "postgresql://postgres@\(namespace.hostAddress):\(relay.port)/postgres"
        let queued = try pg.json(QueueWorkerTests.backfill("2013-01-01", "2013-01-02"))
        let runID = try #require(queued["runId"] as? String)

        let (program, arguments) = namespace.exec(Paths.binary, ["worker", "--concurrency", "1", "--warehouse", remote,
                                                                 "--config", pg.workspace.config])
        let far = try ChildProcess.start(program, arguments, environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=60s"],
                                         currentDirectory: pg.workspace.root)
        defer { far.signal(SIGKILL); _ = far.wait() }
        try pg.waitUntil("the worker across the link holds airlines") {
            try QueueWorkerTests.runningOwner(pg, table: "airlines")?.contains("pid \(far.pid) ") == true
        }
        try namespace.cut()

        let near = try pg.start(["worker", "--drain", "--concurrency", "1"]).wait()
        #expect(near.status == 0, "\(near.stderr)")
        #expect(try QueueWorkerTests.states(pg) == ["done": 3])
        let attempts = try pg.json(["runs", "show", runID])["attempts"] as? [[String: Any]] ?? []
        let airlines = attempts.filter { $0["table"] as? String == "airlines" }
        #expect(airlines.map { $0["status"] as? String } == ["interrupted", "success"], "\(airlines)")
        #expect((airlines.first?["worker"] as? String)?.contains("pid \(far.pid) ") == true)
        let local = try QueueWorkerTests.localFingerprints("2013-01-01", "2013-01-02")
        #expect(try pg.fingerprint("flights").hex == local["flights"])
        #expect(try pg.fingerprint("airlines").hex == local["airlines"])
    }
}

/// The queue commands on a SQLite warehouse.
@Suite struct QueueOnSQLiteTests {
    @Test("queue: { lease: } outside 1s…24h is a config error (exit 64) naming the key")
    func leaseBounds() throws {
        let workspace = try ExampleWorkspace()
        var yaml = try String(contentsOfFile: workspace.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "warehouse: warehouse.db",
                                         with: "warehouse: postgres://nobody@127.0.0.1:1/none\nqueue: { lease: 25h }")
        try yaml.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let result = try workspace.run(["worker", "--drain", "--json"])
        #expect(result.status == 64, "\(result.stdout) \(result.stderr)")
        let error = try parseObject(result.stdout)["error"] as? [String: Any]
        #expect((error?["message"] as? String)?.contains("at most 24h") == true, "\(result.stdout)")
        #expect(error?["line"] as? Int == 3)
    }

    @Test("backfill --queue and worker are usage errors (exit 64) on a SQLite warehouse, saying why")
    func refused() throws {
        let workspace = try ExampleWorkspace()
        for arguments in [["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--queue"],
                          ["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--queue", "--dry-run"],
                          ["worker", "--drain"]] {
            let result = try workspace.run(arguments + ["--json"])
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            let error = try parseObject(result.stdout)["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.contains("PostgreSQL warehouse") == true, "\(result.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse), "nothing created")
    }
}
