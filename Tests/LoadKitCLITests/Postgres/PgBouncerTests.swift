import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// The PgBouncer of a test run, from `LOADKIT_TEST_PGBOUNCER_URL` (set by `.ci/run`).
enum TestPgBouncer {
    /// PgBouncer's libpq URL, or `nil` when not configured.
    static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["LOADKIT_TEST_PGBOUNCER_URL"], !value.isEmpty else { return nil }
        return value
    }

    /// Why the PgBouncer tests are skipped.
    static let skipReason: Comment = "set LOADKIT_TEST_POSTGRES_URL and LOADKIT_TEST_PGBOUNCER_URL (a PgBouncer in transaction mode in front of that server: .ci/pgbouncer-server starts one)"
}

/// The main paths of a PostgreSQL warehouse through PgBouncer in transaction mode
/// (`LOADKIT_TEST_PGBOUNCER_URL`, started by `.ci/pgbouncer-server` in front of the test
/// server), the warehouse URI declaring it with `loadkit_pool=transaction`: partition swaps,
/// staged transforms, a dynamic replace, appends, `status`, `verify` in a scratch schema and in
/// place, and a contended lock, with SQLite's fingerprints. Each transaction may run on another
/// server connection, so anything kept across transactions would fail here.
@Suite(.enabled(if: TestPostgres.isAvailable && TestPgBouncer.url != nil, TestPgBouncer.skipReason))
struct PgBouncerTests {

    static let extraTables = PostgresTransformTests.transforms + """
          airline_log:
            source: { path: data/airlines.csv }
            columns: { carrier: text, name: text }
            write: append

        """

    /// The example through PgBouncer, and the same on SQLite.
    static func pair() throws -> (pg: PostgresExample, sqlite: ExampleWorkspace) {
        let pool = try #require(TestPgBouncer.url)
        let pg = try PostgresExample(extraTables: extraTables,
                                     warehouse: pool + (pool.contains("?") ? "&" : "?") + "loadkit_pool=transaction")
        let sqlite = try ExampleWorkspace()
        try sqlite.replaceTransforms(with: extraTables)
        return (pg, sqlite)
    }

    @Test("Through PgBouncer in transaction mode: swaps, transforms, a dynamic replace and appends give SQLite's fingerprints; reruns skip; status and verify work")
    func mainPaths() throws {
        let (pg, sqlite) = try Self.pair()
        let commands: [[String]] = [
            ["backfill", "--table", "daily_delays", "--from", "2013-01-01", "--to", "2013-01-06", "--quiet"],
            ["load", "--table", "flights", "--input", "data/flights-2013-01-07.csv"],
            ["load", "--table", "airline_log"],
        ]
        for workspace in [pg.workspace, sqlite] {
            for command in commands {
                let result = try workspace.run(command + ["--json"])
                #expect(result.status == 0, "\(command): \(result.stdout) \(result.stderr)")
            }
        }
        for (table, partition) in [("flights", nil), ("flights", "2013-01-07"), ("daily_delays", nil), ("airlines", nil),
                                   ("airline_log", nil)] as [(String, String?)] {
            let theirs = try sqlite.json(["fingerprint", "--table", table] + (partition.map { ["--partition", $0] } ?? []))
            let ours = try pg.fingerprint(table, partition)
            #expect(ours.hex == theirs["fingerprint"] as? String, "\(table) \(partition ?? "")")
            #expect(ours.rows == theirs["rows"] as? Int, "\(table) \(partition ?? "")")
        }
        let again = try pg.json(commands[0])
        #expect((again["counts"] as? [String: Int])?["skipped"] == 13, "\(again)")
        let status = try pg.json(["status", "--table", "flights"])
        #expect(counts(status)?["loaded"] == 7, "2013-01-01 … 2013-01-07, read through the pool: \(status)")
        let scratch = try pg.json(["verify", "--table", "flights", "--partition", "2013-01-05"])
        #expect(scratch["ok"] as? Bool == true, "\(scratch)")
        let inPlace = try pg.json(["verify", "--table", "daily_delays", "--partition", "2013-01-05", "--in-place"])
        #expect(inPlace["ok"] as? Bool == true, "\(inPlace)")
        #expect(try pg.fingerprint("flights").hex == (sqlite.json(["fingerprint", "--table", "flights"])["fingerprint"] as? String))
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_leases") == "0")
        #expect(try pg.tables(prefix: "_loadkit_new_").isEmpty)
    }

    @Test("Through PgBouncer in transaction mode, a load waits for another process's lease and then finds the partition loaded")
    func contendedLock() throws {
        let (pg, _) = try Self.pair()
        let day = PostgresLeaseTests.day
        let backfill = PostgresLeaseTests.backfill
        let first = try pg.start(backfill, environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=2s"])
        defer { first.signal(SIGKILL); _ = first.wait() }
        try PostgresLeaseTests().waitForLease(pg, pid: first.pid)
        let second = try pg.json(backfill.dropLast())
        let firstResult = first.wait()
        #expect(firstResult.status == 0, "\(firstResult.stderr)")
        let flights = try #require(try summaryItems(second).first { $0["table"] as? String == "flights" })
        #expect(flights["status"] as? String == "skipped", "\(flights)")
        #expect(try pg.scalar("""
            SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'flights' AND partition_key = '\(day)'
            """) == "1")
    }
}
