import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// `loadkit verify` without `--in-place` on a PostgreSQL warehouse (SPEC.md §3, §7): its steps
/// run in a scratch schema that is dropped afterwards, and the warehouse's own tables are
/// unchanged. Serialized: "no scratch schema remains" looks at the whole database, and only
/// this suite's verifies make scratch schemas.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason), .serialized)
struct PostgresVerifyTests {
    static let steps = ["load", "load again", "crash at after_staging, load again",
                        "crash at before_commit, load again", "crash at after_commit, load again"]

    /// Everything in the warehouse's schema, as text: each relation (name, kind), every row of
    /// loadkit's tables (ledger, runs, attempts, leases, notifications) and of every target,
    /// sorted. Equal before and after means the warehouse is unchanged.
    static func snapshot(_ pg: PostgresExample) throws -> [String] {
        let schema = pg.schema.name
        let relations = try pg.db.query("""
            SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 ORDER BY 1
            """, [schema]).map { "\($0[0] ?? "") \($0[1] ?? "")" }
        var rows: [String] = []
        for table in ["_loadkit_ledger", "_loadkit_runs", "_loadkit_attempts", "_loadkit_leases", "_loadkit_notifications",
                      "flights", "airlines", "daily_delays"] {
            guard try pg.scalar("SELECT to_regclass('\(schema).\(table)') IS NOT NULL") == "t" else { continue }
            rows.append("\(table): " + (try pg.scalar("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM \(schema).\(table) t") ?? ""))
        }
        return relations + rows
    }

    /// The scratch schemas left in the database.
    static func scratchSchemas(_ pg: PostgresExample) throws -> [String] {
        try pg.db.query("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '_loadkit_verify_')").compactMap { $0[0] }
    }

    @Test("verify passes on every table of the flights example in a scratch schema; the warehouse's rows, ledger and runs are unchanged and no scratch schema remains",
          arguments: [("flights", "2013-01-05"), ("daily_delays", "2013-01-05"), ("airlines", nil)] as [(String, String?)])
    func examplePasses(table: String, partition: String?) throws {
        let pg = try PostgresExample(extraTables: PostgresTransformTests.transforms)
        _ = try pg.json(["backfill", "--table", "daily_delays", "--from", "2013-01-04", "--to", "2013-01-06", "--quiet"])
        let before = try Self.snapshot(pg)
        let fingerprints = try ["flights", "airlines", "daily_delays"].map { "\(try pg.fingerprint($0))" }
        let report = try pg.json(["verify", "--table", table] + (partition.map { ["--partition", $0] } ?? []))
        #expect(report["ok"] as? Bool == true, "\(report)")
        #expect(report["inPlace"] as? Bool == false)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.map { $0["step"] as? String } == Self.steps)
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true && $0["exercised"] as? Bool == true }, "\(steps)")
        #expect(Set(steps.compactMap { $0["fingerprint"] as? String }).count == 1)
        #expect(Set(steps.compactMap { $0["rows"] as? Int }) == [table == "flights" ? 720 : table == "airlines" ? 16 : 14])
        #expect(steps.first?["fingerprint"] as? String
                == (try pg.fingerprint(table, partition)).hex, "the scratch's rows are the warehouse's")
        #expect(try Self.snapshot(pg) == before)
        #expect(try ["flights", "airlines", "daily_delays"].map { "\(try pg.fingerprint($0))" } == fingerprints)
        #expect(try Self.scratchSchemas(pg).isEmpty)
    }

    @Test("verify of a partition never loaded runs in the scratch schema and leaves the warehouse without it")
    func notLoadedYet() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-04", "--quiet"])
        let before = try Self.snapshot(pg)
        let report = try pg.json(["verify", "--table", "flights", "--partition", "2013-01-09"])
        #expect(report["ok"] as? Bool == true, "\(report)")
        let rows = try ExampleWorkspace.exampleRows("2013-01-09")
        #expect((report["steps"] as? [[String: Any]])?.first?["rows"] as? Int == rows)
        #expect(try Self.snapshot(pg) == before)
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE partition_key = '2013-01-09'") == "0")
        #expect(try Self.scratchSchemas(pg).isEmpty)
    }

    @Test("verify fails a non-idempotent transform (exit 1) naming the step where fingerprints diverged; the scratch schema is dropped and the warehouse unchanged")
    func nonIdempotent() throws {
        let pg = try PostgresExample(extraTables: """
              noisy:
                partition: { column: flight_date, granularity: day, timezone: America/New_York }
                sql: |
                  SELECT flight_date, count(*) + floor(random() * 1000)::bigint AS n
                  FROM flights WHERE flight_date = :partition GROUP BY flight_date
                depends_on: [flights]

            """)
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let before = try Self.snapshot(pg)
        let report = try pg.json(["verify", "--table", "noisy", "--partition", "2013-01-05"], status: 1)
        #expect(report["ok"] as? Bool == false)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.first?["ok"] as? Bool == true)
        #expect(steps[1]["ok"] as? Bool == false)
        #expect((steps[1]["detail"] as? String)?.hasPrefix("fingerprint diverged from the first load (") == true, "\(steps[1])")
        let text = try pg.run(["verify", "--table", "noisy", "--partition", "2013-01-05"])
        #expect(text.status == 1)
        #expect(text.stdout.hasSuffix("verify noisy 2013-01-05: FAILED at step 'load again' — see above (on a scratch copy; the warehouse is unchanged)\n"),
                "\(text.stdout)")
        #expect(try Self.snapshot(pg) == before)
        #expect(try Self.scratchSchemas(pg).isEmpty)
    }

    @Test("verify whose load fails (its source broken) exits 1 and still drops its scratch schema; the warehouse is unchanged")
    func failingLoad() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let before = try Self.snapshot(pg)
        try pg.workspace.corrupt(day: "2013-01-05", line: 3, column: "distance", with: "far")
        let failed = try pg.run(["verify", "--table", "flights", "--partition", "2013-01-05"])
        #expect(failed.status == 1, "\(failed.stdout) \(failed.stderr)")
        #expect(failed.stderr.contains("line 3, column distance"), "\(failed.stderr)")
        #expect(try Self.snapshot(pg) == before)
        #expect(try Self.scratchSchemas(pg).isEmpty)
    }

    @Test("Two verifies of the same partition at once use two scratch schemas and both pass")
    func concurrent() throws {
        let pg = try PostgresExample()
        _ = try pg.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let arguments = ["verify", "--table", "flights", "--partition", "2013-01-05", "--json", "--config", pg.workspace.config]
        // Each holds its scratch schema for 5 s at its first commit, so the two overlap.
        let environment = ["LOADKIT_FAILPOINT": "after_commit:sleep=5s", "LOADKIT_FAILPOINT_TIMES": "1"]
        let first = try ChildProcess.start(Paths.binary, arguments, environment: environment,
                                           currentDirectory: pg.workspace.root)
        let second = try ChildProcess.start(Paths.binary, arguments, environment: environment,
                                            currentDirectory: pg.workspace.root)
        let deadline = ContinuousClock.now + .seconds(60)
        while try Self.scratchSchemas(pg).count < 2 {
            try #require(ContinuousClock.now < deadline, "the two verifies never overlapped")
            Thread.sleep(forTimeInterval: 0.05)
        }
        for child in [first, second] {
            let result = child.wait()
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(try parseObject(result.stdout)["ok"] as? Bool == true)
        }
        #expect(try Self.scratchSchemas(pg).isEmpty)
    }
}
