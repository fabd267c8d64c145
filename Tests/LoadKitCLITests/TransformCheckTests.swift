import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Transforms are read-only (SPEC G7), checked when the config is read: a transform that would
/// write, or reads a table that exists nowhere, is a config error (exit 64) at `tables.<T>.sql`
/// before anything runs, and the warehouse keeps its rows and ledger.
@Suite struct TransformCheckTests {
    /// A folder with `events` (a day-partitioned file table) loaded for 2024-01-01 and the
    /// config's text before the transform under test.
    struct Workspace {
        let directory: TemporaryDirectory
        var config: String { directory.path("loadkit.yml") }
        var warehouse: String { directory.path("w.db") }

        static let head = """
            warehouse: w.db
            tables:
              events:
                source: { path: "events-{date}.csv" }
                columns: { day: date, n: integer }
                partition: { column: event_day, granularity: day, from: day }

            """

        init(loaded: Bool = true) throws {
            directory = try TemporaryDirectory()
            try directory.write("events-2024-01-01.csv", "day,n\n2024-01-01,1\n2024-01-01,2\n2024-01-01,3\n")
            if loaded {
                try directory.write("loadkit.yml", Self.head)
                let result = try loadkit(["load", "--config", config, "--table", "events", "--partition", "2024-01-01"])
                try #require(result.status == 0, "\(result.stderr)")
            }
        }

        /// Writes the config: `events` then `transform` (lines 7 on).
        func configure(_ transform: String) throws {
            try directory.write("loadkit.yml", Self.head + transform)
        }

        func run(_ arguments: [String]) throws -> ChildProcess.Result {
            try loadkit(arguments + ["--config", config])
        }
    }

    @Test("A transform `DELETE FROM events RETURNING *` is refused at tables.<T>.sql (exit 64); events keeps its rows and ledger")
    func deleteReturningRefused() throws {
        let workspace = try Workspace()
        let before = try ledger(workspace.warehouse, table: "events")
        let fingerprint = try workspace.run(["fingerprint", "--table", "events"]).stdout
        try workspace.configure("""
              wipe:
                partition: { column: event_day, granularity: day }
                sql: DELETE FROM events RETURNING *
                depends_on: [events]

            """)
        for command in [["backfill", "--table", "wipe", "--from", "2024-01-01", "--to", "2024-01-01"],
                        ["load", "--table", "wipe", "--partition", "2024-01-01"],
                        ["run", "--partition", "2024-01-01"],
                        ["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01", "--dry-run"]] {
            let result = try workspace.run(command)
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr == "loadkit: error: \(workspace.config), line 9, column 5: tables.wipe.sql: DELETE … "
                + "RETURNING writes to table events; a transform's SQL must be exactly one read-only query (SELECT or "
                + "WITH … SELECT)\n", "\(command)")
        }
        #expect(try ledger(workspace.warehouse, table: "events") == before)
        #expect(try workspace.run(["fingerprint", "--table", "events"]).stdout == fingerprint)
        #expect(try runCount(workspace.warehouse) == 1, "only the first load ran")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var sql: String
        var message: String
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "a missing table", sql: "SELECT day, count(*) AS n FROM eventz GROUP BY day",
            message: "no such table: eventz; declared tables: events, daily; the warehouse %W has no table eventz"),
        Bad(name: "a missing column", sql: "SELECT dy FROM events",
            message: "SQLite cannot compile the query: no such column: dy"),
        Bad(name: "a second statement", sql: "SELECT * FROM events; DELETE FROM events",
            message: "a second statement follows the query: DELETE FROM events; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)"),
        Bad(name: "a pragma", sql: "PRAGMA user_version=3",
            message: "PRAGMA is not allowed (PRAGMA user_version=3); a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)"),
        Bad(name: "an attach", sql: "ATTACH 'x.db' AS x",
            message: "ATTACH is not allowed; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)"),
        Bad(name: "a DELETE inside WITH", sql: "WITH d AS (DELETE FROM events RETURNING *) SELECT * FROM d",
            message: "DELETE is not allowed in a query (SQLite: near \"DELETE\": syntax error at byte 12); SQLite allows no INSERT, UPDATE or DELETE inside WITH; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)"),
    ]

    @Test("A transform that is not one read-only query over existing tables is a config error (64) at its sql key",
          arguments: bad)
    func badTransforms(_ example: Bad) throws {
        let workspace = try Workspace()
        try workspace.configure("""
              daily:
                partition: { column: day, granularity: day }
                sql: |
                  \(example.sql)

            """)
        let result = try workspace.run(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(result.status == 64)
        #expect(result.stderr == "loadkit: error: \(workspace.config), line 9, column 5: tables.daily.sql: "
            + example.message.replacingOccurrences(of: "%W", with: workspace.warehouse) + "\n")
        #expect(try runCount(workspace.warehouse) == 1)
    }

    @Test("A transform may read a table only the warehouse has, a transform declared later, and end in ; and a comment")
    func goodTransforms() throws {
        let workspace = try Workspace()
        let db = try SQLiteConnection(path: workspace.warehouse)
        try db.execute("CREATE TABLE labels(n INTEGER, label TEXT); INSERT INTO labels VALUES (1, 'one'), (3, 'three')")
        try workspace.configure("""
              labelled:
                partition: { column: day, granularity: day }
                sql: |
                  SELECT day, label FROM counts JOIN labels USING (n)
                  WHERE day = :partition; -- the labels table is not loadkit's
                depends_on: [counts]
              counts:
                partition: { column: day, granularity: day }
                sql: SELECT day, count(*) AS n FROM events WHERE day = :partition GROUP BY day
                depends_on: [events]

            """)
        let dry = try workspace.run(["backfill", "--table", "labelled", "--from", "2024-01-01", "--to", "2024-01-01",
                                     "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let result = try workspace.run(["backfill", "--table", "labelled", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ledger(workspace.warehouse, table: "labelled")["2024-01-01"]?.rows == 1)
    }

    @Test("A transform over a table that is neither declared nor in an absent warehouse is refused, and no warehouse is created")
    func missingWarehouse() throws {
        let workspace = try Workspace(loaded: false)
        try workspace.configure("""
              daily:
                partition: { column: day, granularity: day }
                sql: SELECT day FROM legacy WHERE day = :partition

            """)
        let result = try workspace.run(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(result.status == 64)
        #expect(result.stderr == "loadkit: error: \(workspace.config), line 9, column 5: tables.daily.sql: no such table: "
            + "legacy; declared tables: events, daily; the warehouse \(workspace.warehouse) does not exist yet\n")
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse))
    }
}
