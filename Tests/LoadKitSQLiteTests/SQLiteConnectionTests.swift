import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

@Suite struct SQLiteConnectionTests {
    @Test("A prepared statement is reused with reset and keeps every value type exact")
    func statementReuse() throws {
        let dir = try TemporaryDirectory()
        let db = try SQLiteConnection(path: dir.path("t.db"))
        try db.execute("CREATE TABLE t(a INTEGER, b REAL, c TEXT, d)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        let rows: [[Value]] = [
            [.integer(Int64.max), .real(-0.125), .text("Zürich 🚀"), .null],
            [.integer(Int64.min), .real(1e300), .text(""), .text("x")],
            [.null, .null, .text("a\u{0}b"), .integer(7)],
        ]
        for row in rows { try insert.execute(row) }
        #expect(try db.query("SELECT a, b, c, d FROM t ORDER BY rowid") == rows)
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(3))
        #expect(try db.scalar("SELECT a FROM t WHERE 0") == nil)
    }

    @Test("Binding the wrong number of values is refused with the SQL named")
    func bindCount() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(a)")
        let insert = try db.prepare("INSERT INTO t VALUES (?)")
        let error = try #require(throws: SQLiteError.self) { try insert.execute([.integer(1), .integer(2)]) }
        #expect(error.description == "SQLite error 25 (2 values bound to a statement with 1 parameters) in: INSERT INTO t VALUES (?)")
    }

    @Test("A syntax error is terminal and carries code, message and SQL")
    func syntaxError() throws {
        let db = try SQLiteConnection(path: ":memory:")
        let error = try #require(throws: SQLiteError.self) { try db.prepare("SELEC 1") }
        #expect(error.primaryCode == 1)
        #expect(error.message == "near \"SELEC\": syntax error")
        #expect(error.sql == "SELEC 1")
        #expect(!error.isTransient)
    }

    @Test("A constraint violation reports its extended code and is terminal")
    func constraintError() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(a PRIMARY KEY)")
        let insert = try db.prepare("INSERT INTO t VALUES (?)")
        try insert.execute([.integer(1)])
        let error = try #require(throws: SQLiteError.self) { try insert.execute([.integer(1)]) }
        #expect(error.extendedCode == 1555) // SQLITE_CONSTRAINT_PRIMARYKEY
        #expect(error.message == "UNIQUE constraint failed: t.a")
        #expect(!error.isTransient)
    }

    @Test("Opening a missing file read-only fails with the path named")
    func openMissing() throws {
        let dir = try TemporaryDirectory()
        let error = try #require(throws: SQLiteError.self) {
            try SQLiteConnection(path: dir.path("absent.db"), mode: .readOnly)
        }
        #expect(error.primaryCode == 14) // SQLITE_CANTOPEN
        #expect(error.message.hasPrefix("cannot open '\(dir.path("absent.db"))'"))
    }

    @Test("A writable file database uses WAL journaling")
    func walMode() throws {
        let dir = try TemporaryDirectory()
        let db = try SQLiteConnection(path: dir.path("w.db"))
        #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
        #expect(try db.scalar("PRAGMA synchronous") == .integer(2))
    }

    @Test("Names with quotes, spaces and SQL fragments are quoted, never executed")
    func hostileIdentifiers() throws {
        let db = try SQLiteConnection(path: ":memory:")
        let table = "t\"; DROP TABLE keep; --"
        let column = "select"
        try db.execute("CREATE TABLE keep(x)")
        try db.execute("CREATE TABLE \(Identifier.quoted(table)) (\(Identifier.quoted(column)) TEXT)")
        try db.prepare("INSERT INTO \(Identifier.quoted(table)) VALUES (?)").execute([.text("'); DROP TABLE keep; --")])
        #expect(try db.query("SELECT \(Identifier.quoted(column)) FROM \(Identifier.quoted(table))")
            == [[.text("'); DROP TABLE keep; --")]])
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'keep'") == .integer(1))
        #expect(Identifier.quoted("a\"b") == "\"a\"\"b\"")
    }

    @Test("Identifiers that cannot be used are refused with a reason", arguments: [
        ("", "name is empty"),
        (String(repeating: "x", count: 64), "name '\(String(repeating: "x", count: 64))' is 64 bytes long; the limit is 63"),
        ("a\nb", "name 'a\nb' contains a control character"),
        ("sqlite_stat1", "name 'sqlite_stat1' starts with 'sqlite_', which SQLite reserves"),
    ])
    func badIdentifiers(name: String, reason: String) throws {
        let error = try #require(throws: LoadKitError.self) { try Identifier.validate(name) }
        #expect(error.description == reason)
    }
}
