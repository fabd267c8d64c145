import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

private struct Injected: Error, Equatable { let tag: String }

/// A value shared with a thread, behind a lock.
private final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func get() -> T { lock.withLock { value } }
}

@Suite struct SQLiteTransactionTests {
    private func makeDatabase(_ dir: TemporaryDirectory) throws -> SQLiteConnection {
        let db = try SQLiteConnection(path: dir.path("t.db"))
        try db.execute("CREATE TABLE t(a INTEGER)")
        try db.execute("INSERT INTO t VALUES (1)")
        return db
    }

    private func values(_ db: SQLiteConnection) throws -> [Value] {
        try db.query("SELECT a FROM t ORDER BY a").map { $0[0] }
    }

    @Test("A transaction commits what its body wrote")
    func commits() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        let result = try db.transaction {
            try db.execute("INSERT INTO t VALUES (2)")
            return 42
        }
        #expect(result == 42)
        #expect(db.isAutocommit)
        // Another connection sees the commit.
        let other = try SQLiteConnection(path: dir.path("t.db"))
        #expect(try values(other) == [.integer(1), .integer(2)])
    }

    @Test("A throw inside a transaction rolls everything back and rethrows that error")
    func rollsBack() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        let error = try #require(throws: Injected.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (2)")
                try db.execute("DELETE FROM t WHERE a = 1")
                try db.execute("CREATE TABLE u(b)")
                throw Injected(tag: "first")
            }
        }
        #expect(error == Injected(tag: "first"))
        #expect(db.isAutocommit)
        #expect(try values(db) == [.integer(1)])
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'u'") == .integer(0))
    }

    @Test("An SQL error inside a transaction rolls back and surfaces the SQLite error")
    func sqlErrorRollsBack() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        let error = try #require(throws: SQLiteError.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (5)")
                try db.execute("INSERT INTO missing VALUES (1)")
            }
        }
        #expect(error.message == "no such table: missing")
        #expect(try values(db) == [.integer(1)])
    }

    @Test("A savepoint that throws undoes only its own work; the transaction goes on")
    func savepointRollback() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        try db.transaction {
            try db.execute("INSERT INTO t VALUES (2)")
            #expect(throws: Injected(tag: "inner")) {
                try db.savepoint("inner") {
                    try db.execute("INSERT INTO t VALUES (3)")
                    throw Injected(tag: "inner")
                }
            }
            try db.savepoint("kept") {
                try db.execute("INSERT INTO t VALUES (4)")
                try db.savepoint("nested") { try db.execute("INSERT INTO t VALUES (5)") }
            }
        }
        #expect(try values(db) == [.integer(1), .integer(2), .integer(4), .integer(5)])
    }

    @Test("A savepoint outside a transaction commits when it is released")
    func savepointAlone() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        try db.savepoint("solo") { try db.execute("INSERT INTO t VALUES (9)") }
        #expect(db.isAutocommit)
        #expect(try values(db) == [.integer(1), .integer(9)])
    }

    @Test("A second writer gets a transient BUSY error once its busy timeout runs out")
    func busyIsTransient() throws {
        let dir = try TemporaryDirectory()
        let writer = try makeDatabase(dir)
        let other = try SQLiteConnection(path: dir.path("t.db"), busyTimeout: .milliseconds(50))
        try writer.execute("BEGIN IMMEDIATE")
        let error = try #require(throws: SQLiteError.self) {
            try other.transaction { try other.execute("INSERT INTO t VALUES (2)") }
        }
        #expect(error.primaryCode == 5)
        #expect(error.isTransient)
        #expect(error.message == "database is locked")
        try writer.execute("COMMIT")
        // Readers are not blocked by a writer in WAL mode.
        try writer.execute("BEGIN IMMEDIATE")
        #expect(try values(other) == [.integer(1)])
        try writer.execute("ROLLBACK")
    }

    @Test("A second writer waits for the first to commit, then succeeds")
    func busyWaits() throws {
        let dir = try TemporaryDirectory()
        _ = try makeDatabase(dir)
        let path = dir.path("t.db")
        let holder = try SQLiteConnection(path: path)
        try holder.execute("BEGIN IMMEDIATE")
        try holder.execute("INSERT INTO t VALUES (2)")
        // A real thread: the waiter blocks in SQLite's busy handler, which must not occupy the
        // shared task pool that other tests run on.
        let failure = Locked<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            do {
                let db = try SQLiteConnection(path: path, busyTimeout: .seconds(20))
                try db.transaction { try db.execute("INSERT INTO t VALUES (3)") }
            } catch {
                failure.set(error)
            }
            finished.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.3)
        try holder.execute("COMMIT")
        finished.wait()
        #expect(failure.get() == nil)
        #expect(try values(holder) == [.integer(1), .integer(2), .integer(3)])
    }

    @Test("The backup API copies a database that then reads the same")
    func backup() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        try db.execute("WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < 1000) INSERT INTO t SELECT v FROM n")
        let copy = try SQLiteConnection(path: dir.path("copy.db"))
        try copy.execute("CREATE TABLE stale(x)")
        try db.backup(to: copy)
        #expect(try copy.scalar("SELECT count(*), sum(a) FROM t") == .integer(1000))
        #expect(try copy.scalar("SELECT sum(a) FROM t") == .integer(500_500))
        #expect(try copy.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'stale'") == .integer(0))
    }
}
