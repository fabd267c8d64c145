import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// `SQLiteConnection.prepareReadOnlyQuery`: exactly one read-only query, proven with SQLite's
/// own answers (authorizer, `sqlite3_stmt_readonly`, `sqlite3_stmt_isexplain`, the tail), and
/// nothing runs when it is refused.
@Suite struct ReadOnlyQueryTests {
    struct Refused: CustomTestStringConvertible, Sendable {
        var sql: String
        /// The start of the refusal's message (before `; a transform's SQL must be …`).
        var reason: String
        var testDescription: String { sql }
    }

    static let refused: [Refused] = [
        Refused(sql: "DELETE FROM events RETURNING *", reason: "DELETE … RETURNING writes to table events"),
        Refused(sql: "DELETE FROM events", reason: "DELETE writes to table events"),
        Refused(sql: "UPDATE events SET n = n + 1 RETURNING n", reason: "UPDATE … RETURNING writes to table events"),
        Refused(sql: "INSERT INTO x SELECT * FROM events", reason: "INSERT writes to table x"),
        Refused(sql: "INSERT INTO x SELECT * FROM events RETURNING *", reason: "INSERT … RETURNING writes to table x"),
        Refused(sql: "REPLACE INTO x VALUES (1, 2)", reason: "INSERT writes to table x"),
        Refused(sql: "DROP TABLE events", reason: "DROP TABLE events is not allowed"),
        Refused(sql: "CREATE TABLE y (a)", reason: "CREATE TABLE y is not allowed"),
        Refused(sql: "CREATE TEMP TABLE y AS SELECT * FROM events", reason: "CREATE TEMP TABLE y is not allowed"),
        Refused(sql: "CREATE VIEW v AS SELECT * FROM events", reason: "CREATE VIEW v is not allowed"),
        Refused(sql: "ALTER TABLE events ADD COLUMN c", reason: "ALTER TABLE events is not allowed"),
        Refused(sql: "PRAGMA journal_mode=DELETE", reason: "PRAGMA is not allowed (PRAGMA journal_mode=DELETE)"),
        Refused(sql: "PRAGMA user_version=3", reason: "PRAGMA is not allowed (PRAGMA user_version=3)"),
        Refused(sql: "PRAGMA user_version", reason: "PRAGMA is not allowed (PRAGMA user_version)"),
        Refused(sql: "PRAGMA table_info(events)", reason: "PRAGMA is not allowed (PRAGMA table_info=events)"),
        Refused(sql: "ATTACH 'x.db' AS x", reason: "ATTACH is not allowed"),
        Refused(sql: "DETACH x", reason: "DETACH is not allowed"),
        Refused(sql: "SELECT 1; DELETE FROM events", reason: "a second statement follows the query: DELETE FROM events"),
        Refused(sql: "SELECT 1; SELECT 2", reason: "a second statement follows the query: SELECT 2"),
        Refused(sql: "SELECT 1;; PRAGMA user_version=3", reason: "a second statement follows the query: PRAGMA user_version=3"),
        Refused(sql: "SELECT 1; garbage", reason: "a second statement follows the query: garbage"),
        Refused(sql: "WITH d AS (DELETE FROM events RETURNING *) SELECT * FROM d",
                reason: "DELETE is not allowed in a query (SQLite: near \"DELETE\": syntax error at byte 12); "
                    + "SQLite allows no INSERT, UPDATE or DELETE inside WITH"),
        Refused(sql: "VACUUM", reason: "the statement writes to the database: VACUUM"),
        Refused(sql: "VACUUM INTO 'copy.db'", reason: "the statement writes to the database: VACUUM INTO 'copy.db'"),
        Refused(sql: "BEGIN", reason: "BEGIN is not allowed: a transform runs inside its load's own transaction"),
        Refused(sql: "COMMIT", reason: "COMMIT is not allowed: a transform runs inside its load's own transaction"),
        Refused(sql: "SAVEPOINT s", reason: "SAVEPOINT is not allowed: a transform runs inside its load's own transaction"),
        Refused(sql: "REINDEX", reason: "REINDEX is not allowed"),
        Refused(sql: "REINDEX events", reason: "the statement returns no columns: REINDEX events"),
        Refused(sql: "REINDEX x", reason: "REINDEX is not allowed"),
        Refused(sql: "DROP INDEX x_day", reason: "DROP INDEX x_day is not allowed"),
        Refused(sql: "CREATE INDEX e_day ON events(day)", reason: "CREATE INDEX e_day is not allowed"),
        Refused(sql: "ANALYZE", reason: "ANALYZE is not allowed"),
        Refused(sql: "EXPLAIN SELECT * FROM events", reason: "EXPLAIN is not allowed"),
        Refused(sql: "EXPLAIN QUERY PLAN SELECT * FROM events", reason: "EXPLAIN is not allowed"),
        Refused(sql: "  -- only a comment\n", reason: "the SQL holds no statement, only whitespace or comments"),
    ]

    static let allowed = [
        "SELECT 1",
        "SELECT 1;",
        "SELECT 1; ",
        "SELECT 1 -- comment",
        "SELECT 1; -- comment\n/* and another */ ;",
        "WITH t AS (SELECT 1) SELECT * FROM t",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n",
        "SELECT day, sum(n) AS n FROM events WHERE day = :partition GROUP BY day",
        "SELECT * FROM v_events",
        "SELECT count(*) FROM sqlite_master",
        // Table-valued pragma functions exist only for pragmas without side effects.
        "SELECT name FROM pragma_table_info('events')",
    ]

    /// A warehouse with `events` (3 rows), `x`, an index and a view, in WAL mode with
    /// user_version 0.
    private func database() throws -> (TemporaryDirectory, SQLiteConnection) {
        let dir = try TemporaryDirectory()
        let db = try SQLiteConnection(path: dir.path("w.db"))
        try db.execute("""
            CREATE TABLE events(day TEXT, n INTEGER);
            INSERT INTO events VALUES ('2024-01-01', 1), ('2024-01-01', 2), ('2024-01-02', 3);
            CREATE TABLE x(day TEXT, n INTEGER);
            CREATE VIEW v_events AS SELECT * FROM events;
            CREATE INDEX x_day ON x(day);
            """)
        return (dir, db)
    }

    @Test("A statement that is not one read-only query is refused, saying why, and nothing runs",
          arguments: refused)
    func refusesWrites(_ example: Refused) throws {
        let (dir, db) = try database()
        let error = try #require(throws: LoadKitError.self) { try db.prepareReadOnlyQuery(example.sql) }
        #expect(error.code == .transformNotReadOnly)
        #expect(!error.isTransient)
        #expect(error.message == example.reason
            + "; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)")
        #expect(try db.scalar("SELECT count(*) FROM events") == .integer(3))
        #expect(try db.scalar("SELECT count(*) FROM x") == .integer(0))
        #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
        #expect(try db.scalar("PRAGMA user_version") == .integer(0))
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master") == .integer(4))
        #expect(try db.query("PRAGMA database_list").count == 1, "nothing attached")
        #expect(!FileManager.default.fileExists(atPath: dir.path("x.db")))
        #expect(db.isAutocommit, "no transaction left open")
    }

    @Test("One read-only query is allowed: a trailing semicolon or comment, WITH, RECURSIVE, views",
          arguments: allowed)
    func allowsQueries(_ sql: String) throws {
        let (_, db) = try database()
        let statement = try db.prepareReadOnlyQuery(sql)
        #expect(statement.columnCount > 0)
        let index = statement.parameterIndex(":partition")
        if index > 0 { try statement.bind(.text("2024-01-01"), at: index) }
        var rows = 0
        while try statement.step() { rows += 1 }
        #expect(rows > 0)
    }

    @Test("SQL that does not compile is SQLite's error")
    func compileErrors() throws {
        let (_, db) = try database()
        let missing = try #require(throws: SQLiteError.self) { try db.prepareReadOnlyQuery("SELECT * FROM flightz") }
        #expect(missing.message == "no such table: flightz")
        let column = try #require(throws: SQLiteError.self) { try db.prepareReadOnlyQuery("SELECT nope FROM events") }
        #expect(column.message == "no such column: nope")
    }

    @Test("The authorizer is removed after the check: the connection writes as before")
    func authorizerRemoved() throws {
        let (_, db) = try database()
        _ = try? db.prepareReadOnlyQuery("DELETE FROM events")
        _ = try db.prepareReadOnlyQuery("SELECT 1")
        try db.execute("INSERT INTO x VALUES ('2024-01-03', 4); PRAGMA user_version=1")
        #expect(try db.scalar("SELECT count(*) FROM x") == .integer(1))
    }
}
