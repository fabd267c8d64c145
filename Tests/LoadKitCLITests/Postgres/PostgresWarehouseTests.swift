import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// The flights example through the `loadkit` binary against a real PostgreSQL server (SPEC.md
/// §7): native partitions, swaps, the same fingerprints as SQLite, a swap's leftovers, locks.
/// Targets made by hand: PostgresTargetLayoutTests.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresWarehouseTests {
    static let january = ["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31", "--quiet"]

    @Test("January loads into 31 native partitions with the same rows and fingerprints as on SQLite; a rerun changes nothing; --force keeps the fingerprint")
    func sameAsSQLite() throws {
        let pg = try PostgresExample()
        let first = try pg.json(Self.january)
        #expect((first["counts"] as? [String: Int])?["success"] == 32, "\(first)")
        #expect(first["rows"] as? Int == 27004 + 16)

        let sqlite = try ExampleWorkspace()
        _ = try sqlite.json(Self.january)
        for (table, partition) in [("flights", nil), ("flights", "2013-01-05"), ("airlines", nil)] as [(String, String?)] {
            let theirs = try sqlite.json(["fingerprint", "--table", table] + (partition.map { ["--partition", $0] } ?? []))
            let ours = try pg.fingerprint(table, partition)
            #expect(ours.hex == theirs["fingerprint"] as? String, "\(table) \(partition ?? "")")
            #expect(ours.rows == theirs["rows"] as? Int)
        }
        // One logged PostgreSQL partition per loadkit partition, the parent partitioned by list.
        #expect(try pg.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '\(pg.schema.name).flights'::regclass") == "31")
        #expect(try pg.scalar("SELECT relkind::text FROM pg_class WHERE oid = '\(pg.schema.name).flights'::regclass") == "p")
        #expect(try pg.scalar("""
            SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '\(pg.schema.name).flights'::regclass AND c.relpersistence <> 'p'
            """) == "0")
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights'") == "31")
        #expect(try pg.scalar("SELECT sum(distance)::bigint FROM \(pg.schema.name).flights") == "27188805")

        let again = try pg.json(Self.january)
        #expect((again["counts"] as? [String: Int])?["skipped"] == 32)
        let before = try pg.fingerprint("flights")
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-06", "--force", "--quiet"])
        #expect(try pg.fingerprint("flights") == before)
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty, "no build table left beside the target")

        let runs = try pg.json(["runs"])
        #expect((runs["runs"] as? [[String: Any]])?.count == 3)
        let status = try pg.json(["status", "--table", "flights"])
        #expect((status["counts"] as? [String: Int])?["loaded"] == 31)
    }

    @Test("A failed partition keeps its rows on PostgreSQL, and rerun --failed loads it once its file is fixed")
    func badRow() throws {
        let pg = try PostgresExample()
        _ = try pg.json(Self.january)
        let kept = try pg.fingerprint("flights", "2013-01-07")
        let original = try String(contentsOfFile: pg.workspace.dayFile("2013-01-07"), encoding: .utf8)
        var lines = original.components(separatedBy: "\n")
        lines[4] = lines[4] + "X"  // line 5 ends in `time_hour`: not a timestamp any more
        try lines.joined(separator: "\n").write(toFile: pg.workspace.dayFile("2013-01-07"), atomically: true, encoding: .utf8)
        let result = try pg.run(["load", "--table", "flights", "--partition", "2013-01-07"])
        #expect(result.status == 1)
        #expect(try pg.fingerprint("flights", "2013-01-07") == kept)
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty)

        try original.write(toFile: pg.workspace.dayFile("2013-01-07"), atomically: true, encoding: .utf8)
        let rerun = try pg.json(["rerun", "--failed", "--quiet"])
        #expect(rerun["status"] as? String == "success")
        #expect(try pg.fingerprint("flights", "2013-01-07") == kept)
    }

    // Crashes at each failpoint, bad input, concurrent loads and append reruns run on both
    // destinations: LoadKitSQLiteTests' CrashRecoveryTests, BadInputTests, ConcurrentLoadTests.

    @Test("kill -9 at before_commit, inside the swap's one transaction, leaves the old rows and ledger, no build table and nothing for gc; the rerun loads it")
    func crashLeavesNothing() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-06", "--quiet"])
        let old = try pg.fingerprint("flights")
        let ledger = try pg.scalar("SELECT string_agg(partition_key || fingerprint, ',' ORDER BY 1) FROM \(pg.schema.name)._loadkit_ledger")
        try pg.workspace.corrupt(day: "2013-01-05", line: 2, column: "dep_delay", with: "99")
        let crashed = try pg.run(["load", "--table", "flights", "--partition", "2013-01-05"],
                                 environment: ["LOADKIT_FAILPOINT": "before_commit"])
        #expect(crashed.status == 137)
        #expect(try pg.fingerprint("flights") == old)
        #expect(try pg.scalar("SELECT string_agg(partition_key || fingerprint, ',' ORDER BY 1) FROM \(pg.schema.name)._loadkit_ledger") == ledger)
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty, "the build table was never committed")
        #expect(try pg.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '\(pg.schema.name).flights'::regclass") == "2")
        let gc = try pg.json(["gc"])
        #expect((gc["dropped"] as? [String] ?? []).isEmpty, "\(gc)")
        _ = try pg.json(["load", "--table", "flights", "--partition", "2013-01-05", "--quiet"])
        #expect(try pg.fingerprint("flights") != old, "the corrected day is loaded")
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty)
        #expect(try pg.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '\(pg.schema.name).flights'::regclass") == "2")
    }

    @Test("A load waits for another process's partition lock held in the database, then fails naming the holder (exit 1, transient)")
    func lockHeld() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        try pg.workspace.corrupt(day: "2013-01-05", line: 2, column: "dep_delay", with: "99")
        let holder = try ChildProcess.start(Paths.binary, ["load", "--table", "flights", "--partition", "2013-01-05",
                                                           "--config", pg.workspace.config],
                                            environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=60s"],
                                            currentDirectory: pg.workspace.root)
        defer { holder.signal(SIGKILL); _ = holder.wait() }
        // The holder's lease row appears once it holds the partition's lock.
        let deadline = ContinuousClock.now + .seconds(30)
        while try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_leases WHERE holder LIKE 'run %'") != "1" {
            try #require(ContinuousClock.now < deadline, "the holder never took its lock")
            Thread.sleep(forTimeInterval: 0.05)
        }
        var yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "lock_timeout: 60s", with: "lock_timeout: 1s")
            .replacingOccurrences(of: "attempts: 3", with: "attempts: 1")
        try yaml.write(toFile: pg.workspace.config, atomically: true, encoding: .utf8)
        let waiter = try pg.run(["load", "--table", "flights", "--partition", "2013-01-05"])
        #expect(kill(holder.pid, 0) == 0, "the holder still runs")
        #expect(waiter.status == 1)
        #expect(waiter.stderr.contains("partition flights 2013-01-05 is locked by run "), "\(waiter.stderr)")
        #expect(waiter.stderr.contains("gave up after waiting 1 s"), "\(waiter.stderr)")
        holder.signal(SIGKILL)
        _ = holder.wait()
        // The dead holder's lock is free: its connection ended with it.
        let next = try pg.run(["load", "--table", "flights", "--partition", "2013-01-05"])
        #expect(next.status == 0, "\(next.stderr)")
    }

    @Test("verify --in-place runs its five steps on PostgreSQL (without it, in a scratch schema: PostgresVerifyTests)")
    func verify() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let before = try pg.fingerprint("flights")
        let report = try pg.json(["verify", "--table", "flights", "--partition", "2013-01-05", "--in-place"])
        #expect(report["ok"] as? Bool == true, "\(report)")
        #expect((report["steps"] as? [[String: Any]])?.count == 5)
        #expect(try pg.fingerprint("flights") == before)
    }

    /// The config with `extra` added to the flights table's keys.
    func withFlightsKeys(_ pg: PostgresExample, _ extra: String) throws {
        var yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "    depends_on: [airlines]\n", with: "    depends_on: [airlines]\n" + extra)
            .replacingOccurrences(of: "attempts: 3", with: "attempts: 1")
        try yaml.write(toFile: pg.workspace.config, atomically: true, encoding: .utf8)
    }

    @Test("batch: 5 on PostgreSQL swaps five partitions in one transaction; a bad file fails only its partition, the other four land")
    func batch() throws {
        let pg = try PostgresExample()
        try withFlightsKeys(pg, "    batch: 5\n")
        try pg.workspace.corrupt(day: "2013-01-03", line: 3, column: "distance", with: "far")
        let result = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-05", "--quiet"],
                                 status: 1)
        let items = result["items"] as? [[String: Any]] ?? []
        #expect(items.filter { $0["status"] as? String == "failed" }.compactMap { $0["partition"] as? String } == ["2013-01-03"])
        #expect(try pg.scalar("SELECT string_agg(partition_key, ',' ORDER BY partition_key) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights'")
                == "2013-01-01,2013-01-02,2013-01-04,2013-01-05")
        #expect(try pg.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '\(pg.schema.name).flights'::regclass") == "4")
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty)
        let sqlite = try ExampleWorkspace()
        _ = try sqlite.json(["backfill", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-04", "--quiet"])
        #expect(try pg.fingerprint("flights", "2013-01-04").hex
                == sqlite.json(["fingerprint", "--table", "flights", "--partition", "2013-01-04"])["fingerprint"] as? String)
    }

    @Test("timeout: an attempt past it is cancelled on the server (PQcancel), counts as failed, and leaves the partition as it was")
    func timeout() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-09", "--to", "2013-01-09", "--quiet"])
        let kept = try pg.fingerprint("flights", "2013-01-09")
        try withFlightsKeys(pg, "    timeout: 1s\n")
        try pg.workspace.corrupt(day: "2013-01-09", line: 2, column: "dep_delay", with: "99")
        let clock = ContinuousClock()
        let started = clock.now
        let result = try pg.run(["load", "--table", "flights", "--partition", "2013-01-09"],
                                environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=30s"])
        #expect(clock.now - started < .seconds(20), "cut at the timeout, not the failpoint's 30 s")
        #expect(result.status == 1)
        #expect(result.stderr.contains("ran past its timeout of 1 s"), "\(result.stderr)")
        #expect(try pg.fingerprint("flights", "2013-01-09") == kept)
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty)
    }

    @Test("A dynamic load of one file spanning three days, its rows interleaved (2 blocks: each return restarts the COPY; 7 blocks: past 16 returns the rows are routed), writes every row once into three partitions with SQLite's fingerprints",
          arguments: [2, 7])
    func dynamicInterleaved(blocks: Int) throws {
        let pg = try PostgresExample()
        var header = ""
        var rows: [String] = []
        for day in ["2013-01-02", "2013-01-03", "2013-01-04"] {
            let lines = try String(contentsOfFile: pg.workspace.dayFile(day), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            header = lines[0]
            rows += lines.dropFirst()
        }
        // Deterministic interleaving: every partition reappears after later ones started.
        rows = rows.enumerated().sorted { ($0.offset % blocks, $0.offset) < ($1.offset % blocks, $1.offset) }.map(\.element)
        let file = pg.workspace.directory.path("three-days.csv")
        try ([header] + rows).joined(separator: "\n").appending("\n").write(toFile: file, atomically: true, encoding: .utf8)

        let loaded = try pg.json(["load", "--table", "flights", "--input", file, "--quiet"])
        #expect((loaded["partitions"] as? [[String: Any]])?.count == 3, "\(loaded)")
        #expect(loaded["rowsWritten"] as? Int == rows.count)
        #expect(try pg.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '\(pg.schema.name).flights'::regclass") == "3")
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty)
        #expect(try pg.scalar("SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                             + "WHERE n.nspname = '\(pg.schema.name)' AND c.conname LIKE '%_bound'") == "0", "the CHECKs are dropped")

        let sqlite = try ExampleWorkspace()
        _ = try sqlite.json(["load", "--table", "flights", "--input", file, "--quiet"])
        for day in ["2013-01-02", "2013-01-03", "2013-01-04"] {
            #expect(try pg.fingerprint("flights", day).hex
                    == sqlite.json(["fingerprint", "--table", "flights", "--partition", day])["fingerprint"] as? String, "\(day)")
        }
        // Again: the same partitions swapped again, the same fingerprints.
        let before = try pg.fingerprint("flights")
        _ = try pg.json(["load", "--table", "flights", "--input", file, "--quiet"])
        #expect(try pg.fingerprint("flights") == before)
    }

    @Test("A password in the warehouse URI never reaches run records, runs output or verify's child command lines")
    func passwordNeverRecorded() throws {
        let pg = try PostgresExample()
        let url = pg.schema.url
        let scheme = try #require(url.range(of: "://"))
        let authority = url[scheme.upperBound...].prefix { $0 != "/" }
        try #require(authority.contains("@") && !authority.prefix { $0 != "@" }.contains(":"),
                     "the test server's URL names a user without a password")
        // The test server trusts loopback connections, so any password connects.
        let withPassword = url.replacingOccurrences(of: String(authority),
                                                    with: authority.replacingOccurrences(of: "@", with: ":s3cretPW@"))
        var yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "warehouse: \(url)", with: "warehouse: \(withPassword)")
        try yaml.write(toFile: pg.workspace.config, atomically: true, encoding: .utf8)
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet",
                         "--warehouse", withPassword])
        let report = try pg.json(["verify", "--table", "flights", "--partition", "2013-01-05", "--in-place"])
        #expect(report["ok"] as? Bool == true, "\(report)")
        let runs = try pg.run(["runs", "--json"])
        #expect(runs.stdout.contains("--warehouse"), "\(runs.stdout)")
        #expect(!runs.stdout.contains("s3cretPW"), "\(runs.stdout)")
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_runs WHERE args LIKE '%s3cretPW%' OR command LIKE '%s3cretPW%'") == "0")
    }

    @Test("Edge values (NULL vs empty and quoted NA, unicode, tab/quote/backslash, -0.0, 1e300, Int64 limits, booleans, dates, timestamps with offsets and microseconds) give SQLite's fingerprints")
    func edgeValues() throws {
        let schema = try TemporaryPostgresSchema()
        let folder = try TemporaryDirectory(prefix: "loadkit-pg-edge")
        let csv = try String(contentsOfFile: Paths.packageRoot + "/Fixtures/postgres/edge-values.csv", encoding: .utf8)
        let table = """
            tables:
              edge:
                source: { path: edge.csv, null_values: [NA] }
                columns: { id: integer, s: text, r: real, b: boolean, d: date, ts: timestamp }
                partition: { column: day, granularity: day, from: ts, timezone: UTC }
                write: replace

            """
        var fingerprints: [[String]] = []
        for (name, warehouse) in [("sqlite", "warehouse: warehouse.db"), ("pg", "warehouse: \(schema.url)\nschema: \(schema.name)")] {
            try FileManager.default.createDirectory(atPath: folder.path(name), withIntermediateDirectories: true)
            _ = try folder.write("\(name)/edge.csv", csv)
            let config = try folder.write("\(name)/loadkit.yml", warehouse + "\n" + table)
            let load = try ChildProcess.run(Paths.binary, ["load", "--table", "edge", "--input", "edge.csv", "--config", config],
                                            environment: ["LOADKIT_FAILPOINT": ""], currentDirectory: folder.path(name))
            #expect(load.status == 0, "\(name): \(load.stderr)")
            var seen: [String] = []
            for partition in [nil, "2024-01-01", "2024-01-02"] as [String?] {
                let result = try ChildProcess.run(Paths.binary, ["fingerprint", "--table", "edge", "--json", "--config", config]
                                                  + (partition.map { ["--partition", $0] } ?? []),
                                                  currentDirectory: folder.path(name))
                let object = try parseObject(result.stdout)
                seen.append("\(object["rows"] ?? "-") \(object["fingerprint"] ?? "-")")
            }
            fingerprints.append(seen)
        }
        #expect(fingerprints[0] == fingerprints[1])
        #expect(fingerprints[1][0].hasPrefix("5 "))
        #expect(try schema.connection.scalar("SELECT count(*) FROM \(schema.name).edge WHERE s IS NULL") == "2",
                "the empty field and the unquoted NA are NULL; the quoted \"NA\" is text")
        #expect(try schema.connection.scalar("SELECT s FROM \(schema.name).edge WHERE id = 9223372036854775807") == "NA")
    }
}
