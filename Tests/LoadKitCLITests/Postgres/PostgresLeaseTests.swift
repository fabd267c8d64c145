import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// The load locks of a PostgreSQL warehouse as lease rows (SPEC.md §7, README "PostgreSQL
/// warehouse"), through real `loadkit` processes: two stagers of one partition never both
/// publish; a killed holder's lease is taken at once on its host; a frozen holder loses its
/// lease, and its commit is refused by the fence when it resumes. Ordering comes from failpoint
/// sleeps and from polling the lease rows, never from sleeping in the test.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresLeaseTests {
    static let day = "2013-01-05"
    static let backfill = ["backfill", "--table", "flights", "--from", day, "--to", day, "--json"]

    /// The `lock_key` of the lease of `partition flights <day>` in `pg`'s schema.
    func leaseKey(_ pg: PostgresExample) -> String {
        PostgresLockKey(schema: pg.schema.name, table: "_loadkit_lock", partition: "partition flights \(Self.day)").description
    }

    /// Polls until `pid` holds the flights partition's lease.
    func waitForLease(_ pg: PostgresExample, pid: pid_t, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try pg.waitUntil("pid \(pid) holds the lease of partition flights \(Self.day)", sourceLocation: sourceLocation) {
            // The first load of the schema creates loadkit's tables.
            try pg.scalar("SELECT to_regclass('\(pg.schema.name)._loadkit_leases') IS NOT NULL") == "t" && pg.scalar("SELECT pid FROM \(pg.schema.name)._loadkit_leases WHERE lock_key = '\(leaseKey(pg))'") == String(pid)
        }
    }

    /// The fingerprint of the corrupted day loaded alone into a SQLite warehouse: what a clean
    /// single run gives (PostgreSQL's fingerprints are SQLite's).
    func cleanFingerprint(value: String) throws -> String {
        let sqlite = try ExampleWorkspace()
        try sqlite.corrupt(day: Self.day, line: 2, column: "dep_delay", with: value)
        _ = try sqlite.json(Array(Self.backfill.dropLast()) + ["--quiet"])
        return try #require(sqlite.json(["fingerprint", "--table", "flights", "--partition", Self.day])["fingerprint"] as? String)
    }

    /// The config with `lock_timeout` and the retry attempts replaced.
    func configure(_ pg: PostgresExample, lockTimeout: String, attempts: Int) throws {
        var yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "lock_timeout: 60s", with: "lock_timeout: \(lockTimeout)")
            .replacingOccurrences(of: "attempts: 3", with: "attempts: \(attempts)")
        try yaml.write(toFile: pg.workspace.config, atomically: true, encoding: .utf8)
    }

    /// The status of `table`'s item in a run summary.
    func item(_ summary: [String: Any], _ table: String) throws -> [String: Any] {
        try #require(try summaryItems(summary).first { $0["table"] as? String == table }, "\(summary)")
    }

    @Test("Two processes staging the same partition: one publishes, the other waits for its lease and then finds it loaded; one ledger row, the clean run's fingerprint")
    func twoStagers() throws {
        let pg = try PostgresExample()
        try pg.workspace.corrupt(day: Self.day, line: 2, column: "dep_delay", with: "77")
        // after_staging:sleep keeps the first one staged (its lease held) while the second starts.
        let first = try pg.start(Self.backfill, environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=2s"])
        defer { first.signal(SIGKILL); _ = first.wait() }
        try waitForLease(pg, pid: first.pid)
        let second = try pg.run(Self.backfill)
        let firstResult = first.wait()
        #expect(firstResult.status == 0, "\(firstResult.stderr)")
        #expect(second.status == 0, "\(second.stderr)")
        let loaded = try item(try parseObject(firstResult.stdout), "flights")
        let waited = try item(try parseObject(second.stdout), "flights")
        #expect(loaded["status"] as? String == "success", "\(loaded)")
        #expect(waited["status"] as? String == "skipped", "\(waited)")
        #expect(waited["message"] as? String == "already loaded from an unchanged source")
        #expect(try pg.scalar("""
            SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights' AND partition_key = '\(Self.day)'
            """) == "1")
        #expect(try pg.fingerprint("flights", Self.day).hex == cleanFingerprint(value: "77"))
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_leases") == "0", "every lease released")
    }

    @Test("A holder killed with kill -9 while staging: a rerun on the same host takes its lease at once (the pid is dead) and loads the clean run's fingerprint")
    func killedHolder() throws {
        let pg = try PostgresExample()
        _ = try pg.json(Array(Self.backfill.dropLast()) + ["--quiet"])
        try pg.workspace.corrupt(day: Self.day, line: 2, column: "dep_delay", with: "66")
        let holder = try pg.start(["load", "--table", "flights", "--partition", Self.day],
                                  environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=60s"])
        defer { holder.signal(SIGKILL); _ = holder.wait() }
        try waitForLease(pg, pid: holder.pid)
        holder.signal(SIGKILL)
        #expect(holder.wait().wasSignalled)
        // The lease (30 s) has not expired: waiting for it would fail within this lock timeout.
        #expect(try pg.scalar("""
            SELECT expires_at > now() + interval '20 seconds' FROM \(pg.schema.name)._loadkit_leases WHERE lock_key = '\(leaseKey(pg))'
            """) == "t")
        try configure(pg, lockTimeout: "5s", attempts: 1)
        let started = ContinuousClock.now
        let rerun = try pg.run(["load", "--table", "flights", "--partition", Self.day])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try pg.fingerprint("flights", Self.day).hex == cleanFingerprint(value: "66"))
        #expect(try pg.scalar("""
            SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights' AND partition_key = '\(Self.day)'
            """) == "1")
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_leases") == "0")
    }

    @Test("A frozen holder (SIGSTOP past its 2 s lease) loses it to another process; resumed (SIGCONT), its commit is refused by the fence, the target unchanged, and its retry finds the partition loaded")
    func frozenHolder() throws {
        let pg = try PostgresExample(lease: "2s")
        _ = try pg.json(Array(Self.backfill.dropLast()) + ["--quiet"])
        try pg.workspace.corrupt(day: Self.day, line: 2, column: "dep_delay", with: "55")
        let frozen = try pg.start(Self.backfill, environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=3s"])
        defer { frozen.signal(SIGCONT); frozen.signal(SIGKILL); _ = frozen.wait() }
        try waitForLease(pg, pid: frozen.pid)
        frozen.signal(SIGSTOP)
        let frozenRun = try #require(try pg.scalar("""
            SELECT owner_run_id FROM \(pg.schema.name)._loadkit_leases WHERE lock_key = '\(leaseKey(pg))'
            """))
        try pg.waitUntil("the frozen holder's lease expired") {
            try pg.scalar("SELECT expires_at < now() FROM \(pg.schema.name)._loadkit_leases WHERE lock_key = '\(leaseKey(pg))'") == "t"
        }
        let other = try pg.run(["load", "--table", "flights", "--partition", Self.day])
        #expect(other.status == 0, "\(other.stderr)")
        let ledger = "SELECT run_id FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights' AND partition_key = '\(Self.day)'"
        let otherRun = try #require(try pg.scalar(ledger))
        #expect(otherRun != frozenRun)
        // The rows' inserting transactions: a commit of the frozen one would replace them all.
        let rowVersions = "SELECT string_agg(DISTINCT xmin::text, ',') FROM \(pg.schema.name).flights WHERE flight_date = '\(Self.day)'"
        let published = try pg.scalar(rowVersions)
        let fingerprint = try pg.fingerprint("flights", Self.day)

        frozen.signal(SIGCONT)
        let resumed = frozen.wait()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let flights = try item(try parseObject(resumed.stdout), "flights")
        #expect(flights["status"] as? String == "skipped", "its retry finds the partition loaded: \(flights)")
        #expect(flights["attempts"] as? Int == 2, "\(flights)")
        let attempts = try pg.db.query("""
            SELECT status, coalesce(error, '') FROM \(pg.schema.name)._loadkit_attempts
            WHERE run_id = $1 AND table_name = 'flights' ORDER BY attempt
            """, [frozenRun])
        #expect(attempts.count == 2, "\(attempts)")
        let refusal = attempts.first?[1] ?? ""
        #expect(refusal.contains("partition flights \(Self.day): this load's lock expired before its commit"), "\(refusal)")
        #expect(refusal.contains("nothing was committed, the target is unchanged"), "\(refusal)")
        #expect(try pg.scalar(rowVersions) == published, "the fence refused the frozen commit: no row rewritten")
        #expect(try pg.scalar(ledger) == otherRun)
        #expect(try pg.scalar("""
            SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights' AND partition_key = '\(Self.day)'
            """) == "1")
        #expect(try pg.fingerprint("flights", Self.day) == fingerprint)
        #expect(fingerprint.hex == (try cleanFingerprint(value: "55")))
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_leases") == "0")
    }
}
