import LoadKit
import LoadKitPostgres
import LoadKitTesting
import Testing

@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PGConnectionTests {
    @Test("Parameters and results round-trip as text, NULL stays NULL")
    func parameters() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint, b text, c double precision)")
        let inserted = try db.execute("INSERT INTO \(schema.name).t VALUES ($1, $2, $3), ($4, $5, $6)",
                                      ["9223372036854775807", "Zürich 🚀\t\\", "-0", nil, "", nil])
        #expect(inserted == 2)
        let rows = try db.query("SELECT a, b, c FROM \(schema.name).t ORDER BY a NULLS LAST")
        #expect(rows == [["9223372036854775807", "Zürich 🚀\t\\", "-0"], [nil, "", nil]])
        #expect(try db.scalar("SELECT count(*) FROM \(schema.name).t WHERE b = $1", [""]) == "1")
        #expect(try db.scalar("SELECT a FROM \(schema.name).t WHERE false") == nil)
    }

    @Test("A prepared statement is prepared once and reused")
    func preparedReuse() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint)")
        for value in 1...5 { try db.execute(prepared: "INSERT INTO \(schema.name).t VALUES ($1)", [String(value)]) }
        #expect(db.preparedStatementCount == 1)
        #expect(try db.execute(prepared: "SELECT sum(a) FROM \(schema.name).t") == [["15"]])
        #expect(db.preparedStatementCount == 2)
    }

    @Test("A transaction commits when its body returns and rolls back when it throws")
    func transactions() throws {
        struct Stop: Error {}
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint)")
        try db.transaction { try db.execute("INSERT INTO \(schema.name).t VALUES (1)") }
        #expect(throws: Stop.self) {
            try db.transaction {
                try db.execute("INSERT INTO \(schema.name).t VALUES (2)")
                throw Stop()
            }
        }
        try db.transaction {
            try db.execute("INSERT INTO \(schema.name).t VALUES (3)")
            _ = try? db.savepoint("s1") {
                try db.execute("INSERT INTO \(schema.name).t VALUES (4)")
                throw Stop()
            }
        }
        #expect(try db.query("SELECT a FROM \(schema.name).t ORDER BY a") == [["1"], ["3"]])
    }

    @Test("COPY FROM STDIN stores every row, escaping tabs, newlines, backslashes and NULL")
    func copy() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint, b text)")
        let stored = try db.copy("COPY \(schema.name).t (a, b) FROM STDIN") { writer in
            for value in 0..<10_000 { try writer.writeRow([String(value), "row \(value)"]) }
            try writer.writeRow(["-1", "tab\there\nnewline\r\\ back \\N"])
            try writer.writeRow(["-2", nil])
            try writer.writeRow([nil, ""])
        }
        #expect(stored == 10_003)
        #expect(try db.scalar("SELECT b FROM \(schema.name).t WHERE a = -1") == "tab\there\nnewline\r\\ back \\N")
        #expect(try db.query("SELECT b FROM \(schema.name).t WHERE a = -2") == [[nil]])
        #expect(try db.query("SELECT b FROM \(schema.name).t WHERE a IS NULL") == [[""]])
        #expect(try db.scalar("SELECT sum(a) FROM \(schema.name).t WHERE a >= 0") == "49995000")
    }

    @Test("A COPY whose body throws stores nothing and the connection stays usable")
    func copyAbort() throws {
        struct Stop: Error {}
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint)")
        #expect(throws: Stop.self) {
            try db.copy("COPY \(schema.name).t (a) FROM STDIN") { writer in
                try writer.writeRow(["1"])
                throw Stop()
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM \(schema.name).t") == "0")
    }

    @Test("A bad value in a COPY is a terminal data error (22P02) naming the SQL")
    func copyDataError() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint)")
        let sql = "COPY \(schema.name).t (a) FROM STDIN"
        let error = try #require(throws: PostgresError.self) {
            try db.copy(sql) { writer in try writer.writeRow(["not a number"]) }
        }
        #expect(error.sqlState == "22P02")
        #expect(error.message == "invalid input syntax for type bigint: \"not a number\"")
        #expect(error.sql == sql)
        #expect(!error.isTransient)
        #expect(try db.scalar("SELECT count(*) FROM \(schema.name).t") == "0")
    }

    @Test("A unique violation is terminal; a lock timeout is transient")
    func classification() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("CREATE TABLE \(schema.name).t (a bigint PRIMARY KEY)")
        try db.execute("INSERT INTO \(schema.name).t VALUES (1)")
        let unique = try #require(throws: PostgresError.self) {
            try db.execute("INSERT INTO \(schema.name).t VALUES (1)")
        }
        #expect(unique.sqlState == "23505")
        #expect(!unique.isTransient)

        let other = try PGConnection(uri: schema.url)
        try db.execute("BEGIN")
        try db.execute("LOCK TABLE \(schema.name).t IN ACCESS EXCLUSIVE MODE")
        let timeout = try #require(throws: PostgresError.self) {
            try other.transaction {
                try other.execute("SET LOCAL lock_timeout = '50ms'")
                try other.execute("SELECT * FROM \(schema.name).t")
            }
        }
        try db.execute("ROLLBACK")
        #expect(timeout.sqlState == "55P03")
        #expect(timeout.isTransient)
        #expect(try other.scalar("SELECT count(*) FROM \(schema.name).t") == "1")
    }

    @Test("A cancelled statement fails with 57014 and the connection stays usable")
    func cancel() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        let other = try PGConnection(uri: schema.url)
        // The statement waits on a lock held by `other`, so the cancel always finds it running.
        try other.execute("BEGIN")
        try other.execute("SELECT pg_advisory_xact_lock(4242)")
        let pid = try #require(try db.scalar("SELECT pg_backend_pid()"))
        let cancelled = Cancelled()
        nonisolated(unsafe) let running = db
        let url = schema.url
        let watcher = Thread {
            let watch = try? PGConnection(uri: url)
            // Cancel once the statement waits on the advisory lock (the server reports it).
            while (try? watch?.scalar("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", [pid])) != "Lock" {}
            running.cancel()
            cancelled.signal()
        }
        watcher.start()
        let error = try #require(throws: PostgresError.self) { try db.execute("SELECT pg_advisory_xact_lock(4242)") }
        cancelled.wait()
        try other.execute("ROLLBACK")
        #expect(error.sqlState == "57014")
        #expect(!error.isTransient)
        #expect(try db.scalar("SELECT 1") == "1")
    }
}

import Foundation

/// A one-shot signal between the test's threads.
private final class Cancelled: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false
    func signal() { condition.lock(); done = true; condition.broadcast(); condition.unlock() }
    func wait() { condition.lock(); while !done { condition.wait() }; condition.unlock() }
}
