import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// SQL transforms on a PostgreSQL warehouse through the `loadkit` binary (SPEC.md §1 G7, §7):
/// the same rows and fingerprints as on SQLite for SQL both accept, refusals before anything
/// runs, and the load's own transaction around the query.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresTransformTests {
    /// The example's transform, and one whose `sum` of an integer column is `numeric` on
    /// PostgreSQL (read back as an integer, as SQLite's `sum` gives it).
    static let transforms = """
          daily_delays:
            partition: { column: flight_date, granularity: day, timezone: America/New_York }
            sql: |
              SELECT flight_date, carrier, count(*) AS flights, avg(dep_delay) AS avg_dep_delay
              FROM flights WHERE flight_date = :partition GROUP BY flight_date, carrier
            write: replace
            depends_on: [flights]
          origins:
            partition: { column: flight_date, granularity: day, timezone: America/New_York }
            sql: |
              -- per origin airport; ':partition' in a comment or a string is not the key
              SELECT flight_date, origin, count(*) AS n, sum(flight) AS flight_sum, max(distance) AS longest,
                     min(tailnum) AS first_tail
              FROM flights
              WHERE flight_date = :partition AND origin <> ':partition'
              GROUP BY flight_date, origin;
            depends_on: [flights]

        """
    static let days = ["backfill", "--table", "daily_delays", "--from", "2013-01-01", "--to", "2013-01-06", "--quiet"]

    /// The example on PostgreSQL with both transforms, and the same on SQLite.
    static func pair() throws -> (pg: PostgresExample, sqlite: ExampleWorkspace) {
        let pg = try PostgresExample(extraTables: transforms)
        let sqlite = try ExampleWorkspace()
        try sqlite.replaceTransforms(with: transforms)
        return (pg, sqlite)
    }

    @Test("Transforms reading an upstream table with :partition load on PostgreSQL with SQLite's rows and fingerprints; a rerun changes nothing")
    func sameAsSQLite() throws {
        let (pg, sqlite) = try Self.pair()
        for workspace in [pg.workspace, sqlite] {
            let result = try workspace.run(Self.days + ["--json"])
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            let origins = try workspace.run(["backfill", "--table", "origins", "--from", "2013-01-01", "--to", "2013-01-06",
                                             "--quiet", "--json"])
            #expect(origins.status == 0, "\(origins.stdout) \(origins.stderr)")
        }
        for (table, partition) in [("daily_delays", nil), ("daily_delays", "2013-01-05"), ("origins", nil),
                                   ("origins", "2013-01-02")] as [(String, String?)] {
            let theirs = try sqlite.json(["fingerprint", "--table", table] + (partition.map { ["--partition", $0] } ?? []))
            let ours = try pg.fingerprint(table, partition)
            #expect(ours.hex == theirs["fingerprint"] as? String, "\(table) \(partition ?? "")")
            #expect(ours.rows == theirs["rows"] as? Int, "\(table) \(partition ?? "")")
        }
        #expect(try pg.fingerprint("origins").rows == 18, "three origins a day")
        // The query's own types: count bigint, avg double precision, sum(bigint) numeric read as integers.
        #expect(try pg.scalar("""
            SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = '\(pg.schema.name).origins'::regclass AND attnum > 0
            """) == "flight_date text, origin text, n bigint, flight_sum bigint, longest double precision, first_tail text")
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'daily_delays'") == "6")

        let before = try pg.fingerprint("daily_delays")
        let again = try pg.json(Self.days)
        #expect((again["counts"] as? [String: Int])?["skipped"] == 13, "airlines, 6 flights, 6 daily_delays: \(again)")
        let forced = try pg.json(Self.days + ["--force"])
        #expect((forced["counts"] as? [String: Int])?["success"] == 13, "\(forced)")
        #expect(try pg.fingerprint("daily_delays") == before)
        #expect(try pg.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '\(pg.schema.name).daily_delays'::regclass") == "6")
    }

    /// The example on PostgreSQL with flights loaded for 2013-01-05 (and `loaded` more days),
    /// then daily_delays's SQL replaced by `sql` (every command checks the config's transforms
    /// first, so a refused one would stop the upstream load too).
    static func withSQL(_ sql: String, loaded: [String] = []) throws -> PostgresExample {
        let pg = try PostgresExample(extraTables: transforms)
        for day in ["2013-01-05"] + loaded {
            _ = try pg.json(["backfill", "--table", "flights", "--from", day, "--to", day, "--quiet"])
        }
        let indented = sql.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }
            .joined(separator: "\n")
        var yaml = try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
        let original = """
                  SELECT flight_date, carrier, count(*) AS flights, avg(dep_delay) AS avg_dep_delay
                  FROM flights WHERE flight_date = :partition GROUP BY flight_date, carrier
            """
        try #require(yaml.contains(original))
        yaml = yaml.replacingOccurrences(of: original, with: indented)
        try yaml.write(toFile: pg.workspace.config, atomically: true, encoding: .utf8)
        return pg
    }

    /// What the warehouse holds: every target's fingerprint and loadkit's ledger, as text.
    static func state(_ pg: PostgresExample) throws -> [String] {
        var state = try ["flights", "airlines"].map { "\($0): \(try pg.fingerprint($0))" }
        state.append(try pg.scalar("SELECT string_agg(l::text, E'\\n' ORDER BY l::text) FROM \(pg.schema.name)._loadkit_ledger l") ?? "")
        state.append(try pg.scalar("SELECT count(*) FROM \(pg.schema.name).flights") ?? "")
        return state
    }

    @Test("A data-modifying CTE, a second statement, SELECT … INTO and FOR UPDATE are refused before anything runs (exit 64, naming loadkit.yml's line and key); nothing changes",
          arguments: [
            ("WITH d AS (DELETE FROM flights RETURNING *)\nSELECT flight_date, carrier, 1 AS flights FROM d",
             "DELETE writes to table flights"),
            ("SELECT flight_date, carrier, count(*) AS flights FROM flights WHERE flight_date = :partition GROUP BY 1, 2;\nDELETE FROM flights",
             "a second statement follows the query: DELETE FROM flights"),
            ("SELECT flight_date, carrier, 1 AS flights INTO copied FROM flights", "SELECT … INTO creates a table"),
            ("SELECT flight_date, carrier, 1 AS flights FROM flights WHERE flight_date = :partition FOR UPDATE",
             "FOR UPDATE / FOR SHARE locks the rows it reads"),
            ("DELETE FROM flights RETURNING flight_date", "DELETE is not a query"),
          ])
    func refused(sql: String, reason: String) throws {
        let pg = try Self.withSQL(sql)
        let before = try Self.state(pg)
        let line = try #require(try String(contentsOfFile: pg.workspace.config, encoding: .utf8)
            .components(separatedBy: "\n").firstIndex(of: "    sql: |")) + 1
        let result = try pg.run(["load", "--table", "daily_delays", "--partition", "2013-01-05"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("loadkit.yml, line \(line), column 5: tables.daily_delays.sql: \(reason)"), "\(result.stderr)")
        #expect(result.stderr.contains("a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)"))
        let json = try pg.json(["load", "--table", "daily_delays", "--partition", "2013-01-05"], status: 64)
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["key"] as? String == "tables.daily_delays.sql")
        #expect(error["line"] as? Int == line)
        #expect(try Self.state(pg) == before)
        #expect(try pg.scalar("SELECT to_regclass('\(pg.schema.name).daily_delays') IS NULL") == "t")
        #expect(try pg.scalar("SELECT to_regclass('\(pg.schema.name).copied') IS NULL") == "t")
    }

    @Test("A missing table and a missing column are config errors naming the table's sql key, checked by PostgreSQL against stand-ins: the upstream table need not exist")
    func compileErrors() throws {
        func example(_ sql: String) throws -> PostgresExample {
            try PostgresExample(extraTables: """
                  daily_delays:
                    partition: { column: flight_date, granularity: day, timezone: America/New_York }
                    sql: \(sql)
                    depends_on: [flights]

                """)
        }
        let good = try example("SELECT flight_date, carrier, count(*) AS flights FROM flights GROUP BY 1, 2")
        let dry = try good.json(["backfill", "--table", "daily_delays", "--from", "2013-01-05", "--to", "2013-01-05", "--dry-run"])
        #expect(dry["error"] == nil, "\(dry)")
        #expect(try good.scalar("SELECT to_regclass('\(good.schema.name).flights') IS NULL") == "t",
                "checked against a stand-in: flights was never loaded, nothing was created")
        #expect(try good.scalar("SELECT to_regclass('\(good.schema.name)._loadkit_runs') IS NULL") == "t")

        let missing = try example("SELECT flight_date, carrier, count(*) AS flights FROM flightz GROUP BY 1, 2")
        let noTable = try missing.run(["load", "--table", "daily_delays", "--partition", "2013-01-05"])
        #expect(noTable.status == 64)
        #expect(noTable.stderr.contains("tables.daily_delays.sql: no such table: flightz; declared tables: airlines, flights, daily_delays; "
                                        + "the warehouse \(missing.schema.url) has no table flightz in schema \(missing.schema.name)"),
                "\(noTable.stderr)")
        let column = try example("SELECT flight_date, carrier, count(*) AS flights FROM flights WHERE nosuch = 1 GROUP BY 1, 2")
        let noColumn = try column.run(["load", "--table", "daily_delays", "--partition", "2013-01-05"])
        #expect(noColumn.status == 64)
        #expect(noColumn.stderr.contains("tables.daily_delays.sql: PostgreSQL cannot compile the query: column \"nosuch\" does not exist"),
                "\(noColumn.stderr)")
        let undeclared = try example("SELECT flight_date, carrier, count(*) AS flights FROM flights JOIN airlines USING (carrier) GROUP BY 1, 2")
        let dependency = try undeclared.run(["load", "--table", "daily_delays", "--partition", "2013-01-05"])
        #expect(dependency.status == 64)
        #expect(dependency.stderr.contains("the query reads table airlines, which depends_on does not name"), "\(dependency.stderr)")
    }

    @Test("A query calling a function that writes is refused while it runs, read-only, inside the load's transaction (exit 1); a transaction id taken by the query is refused too; nothing changes")
    func writingFunction() throws {
        let pg = try Self.withSQL("SELECT flight_date, carrier, count(*) + sneaky() AS flights FROM flights\n"
                                  + "WHERE flight_date = :partition GROUP BY flight_date, carrier", loaded: ["2013-01-06"])
        try pg.db.execute("CREATE FUNCTION \(pg.schema.name).sneaky() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT 0::bigint $$")
        _ = try pg.json(["backfill", "--table", "daily_delays", "--from", "2013-01-05", "--to", "2013-01-06", "--quiet"])
        try pg.db.execute("DELETE FROM \(pg.schema.name).daily_delays WHERE flight_date = '2013-01-06'")
        try pg.db.execute("DELETE FROM \(pg.schema.name)._loadkit_ledger WHERE table_name = 'daily_delays' AND partition_key = '2013-01-06'")
        let before = try Self.state(pg)
        let kept = try pg.fingerprint("daily_delays")
        // The table exists now: the query runs in the load's own transaction.
        try pg.db.execute("""
            CREATE OR REPLACE FUNCTION \(pg.schema.name).sneaky() RETURNS bigint LANGUAGE sql VOLATILE AS
            $$ DELETE FROM \(pg.schema.name).airlines RETURNING 0::bigint $$
            """)
        let result = try pg.run(["load", "--table", "daily_delays", "--partition", "2013-01-06"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("it tried to write to the database while it ran (PostgreSQL: cannot execute DELETE in a read-only transaction)"),
                "\(result.stderr)")
        #expect(try Self.state(pg) == before)
        #expect(try pg.fingerprint("daily_delays") == kept)

        try pg.db.execute("CREATE OR REPLACE FUNCTION \(pg.schema.name).sneaky() RETURNS bigint LANGUAGE sql VOLATILE AS "
                          + "$$ SELECT 0 * txid_current() $$")
        let xid = try pg.run(["load", "--table", "daily_delays", "--partition", "2013-01-06"])
        #expect(xid.status == 1, "\(xid.stderr)")
        #expect(xid.stderr.contains("its transaction got a transaction id, which a read-only query never does"), "\(xid.stderr)")
        #expect(try Self.state(pg) == before)
        #expect(try pg.fingerprint("daily_delays") == kept)
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name).airlines") == "16")
    }

    @Test("kill -9 at before_commit of a transform leaves its partition as it was; the next load commits the new rows")
    func crashBeforeCommit() throws {
        let pg = try PostgresExample(extraTables: Self.transforms)
        _ = try pg.json(Self.days)
        let kept = try pg.fingerprint("daily_delays", "2013-01-05")
        let ledger = try pg.scalar("SELECT l::text FROM \(pg.schema.name)._loadkit_ledger l WHERE table_name = 'daily_delays' AND partition_key = '2013-01-05'")
        try pg.workspace.corrupt(day: "2013-01-05", line: 2, column: "carrier", with: "ZZ")
        _ = try pg.json(["load", "--table", "flights", "--partition", "2013-01-05", "--quiet"])

        let crashed = try pg.run(["load", "--table", "daily_delays", "--partition", "2013-01-05"],
                                 environment: ["LOADKIT_FAILPOINT": "before_commit"])
        #expect(crashed.status == 137, "\(crashed.stderr)")
        #expect(try pg.fingerprint("daily_delays", "2013-01-05") == kept)
        #expect(try pg.scalar("SELECT l::text FROM \(pg.schema.name)._loadkit_ledger l WHERE table_name = 'daily_delays' AND partition_key = '2013-01-05'") == ledger)
        #expect(try pg.scalar("SELECT count(*) FROM \(pg.schema.name).daily_delays WHERE carrier = 'ZZ'") == "0")

        let status = try pg.json(["status", "--table", "daily_delays", "--from", "2013-01-05", "--to", "2013-01-05"])
        let partition = try #require((status["partitions"] as? [[String: Any]])?.first)
        #expect(partition["state"] as? String == "failed" && partition["kept"] as? Bool == true && partition["rows"] as? Int == 14,
                "the killed attempt is failed, the partition keeps its 14 rows: \(status)")
        let reloaded = try pg.json(["load", "--table", "daily_delays", "--partition", "2013-01-05", "--quiet"])
        #expect(reloaded["status"] as? String == "loaded", "\(reloaded)")
        #expect(try pg.fingerprint("daily_delays", "2013-01-05") != kept)
        #expect(try pg.scalar("SELECT flights FROM \(pg.schema.name).daily_delays WHERE carrier = 'ZZ'") == "1")
    }
}
