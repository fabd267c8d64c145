import Foundation
import LoadKit
import LoadKitPostgres
import LoadKitSQLite
import Testing

/// A destination a test can run on: SQLite always, PostgreSQL when a test server is configured
/// (``TestPostgres``). Parameterize a test over ``available`` to run it on both, as loadkit's own
/// crash, concurrency and bad-input tests do:
///
/// ```swift
/// @Test(arguments: TestDestination.available)
/// func rerunChangesNothing(_ destination: TestDestination) throws {
///     let folder = try TemporaryDirectory()
///     let warehouse = try TestWarehouse(destination, in: folder)
///     try folder.write("loadkit.yml", warehouse.configLines + "tables: …")
///     // run `loadkit load` twice, compare `loadkit fingerprint --json`
/// }
/// ```
///
/// Without `LOADKIT_TEST_POSTGRES_URL`, ``available`` holds SQLite only; pair such a test with
/// one carrying `.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason)` so that the
/// skipped PostgreSQL cases show up, with their reason, in the test report.
public enum TestDestination: String, Sendable, CaseIterable, CustomTestStringConvertible {
    /// A SQLite file in a temporary folder.
    case sqlite
    /// A fresh schema on the server named by `LOADKIT_TEST_POSTGRES_URL`.
    case postgres

    /// SQLite, and PostgreSQL when ``TestPostgres/isAvailable``.
    public static var available: [TestDestination] { TestPostgres.isAvailable ? allCases : [.sqlite] }

    /// `SQLite` or `PostgreSQL`, as test reports show the argument.
    public var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// An empty warehouse on one ``TestDestination``, for a test's `loadkit.yml`: a SQLite file
/// `warehouse.db` in a folder the test owns, or a fresh schema on the test server
/// (``TemporaryPostgresSchema``, dropped with everything in it when this is released).
///
/// Besides the lines that point a config at it (``configLines``), it reads what loadkit wrote
/// with plain SQL on a connection of its own (``query(_:)``), unqualified names meaning the
/// warehouse's tables on both destinations.
///
/// ```swift
/// let warehouse = try TestWarehouse(.postgres, in: folder)
/// let rows = try warehouse.scalar("SELECT count(*) FROM _loadkit_ledger")   // "31"
/// ```
public final class TestWarehouse: @unchecked Sendable {
    /// Which destination it is.
    public let destination: TestDestination
    /// The SQLite file's path, or the PostgreSQL server's URI (``TestPostgres/url``).
    public let location: String
    private let postgres: TemporaryPostgresSchema?

    /// Creates the warehouse: for SQLite only its path, `<folder>/warehouse.db` (the first load
    /// creates the file); for PostgreSQL a fresh empty schema.
    /// - Throws: ``TestPostgres/Unavailable`` for PostgreSQL without a server, or ``PostgresError``.
    public init(_ destination: TestDestination, in folder: TemporaryDirectory) throws {
        self.destination = destination
        switch destination {
        case .sqlite:
            postgres = nil
            location = folder.path("warehouse.db")
        case .postgres:
            let schema = try TemporaryPostgresSchema()
            try schema.connection.execute("SET search_path TO \(schema.name)")
            postgres = schema
            location = schema.url
        }
    }

    /// The schema on the test server (`lk_test_` and 16 hex digits); `nil` for SQLite.
    public var schema: String? { postgres?.name }

    /// The `warehouse:` line (and for PostgreSQL the `schema:` line) of a `loadkit.yml` that
    /// loads into this warehouse, each ending in a newline. The SQLite line names the file by
    /// its absolute path.
    public var configLines: String {
        "warehouse: \(location)\n" + (schema.map { "schema: \($0)\n" } ?? "")
    }

    /// A new connection to the warehouse as loadkit's destination (for its fingerprints and
    /// ledger): `SQLiteDestination` or `PostgresDestination`.
    /// - Throws: the destination's error.
    public func open() throws -> any WarehouseDestination {
        switch destination {
        case .sqlite: return try SQLiteDestination(path: location)
        case .postgres: return try PostgresDestination(uri: location, schema: schema!)
        }
    }

    /// The rows of `sql`, every value as text (`nil` for NULL); no rows from a SQLite
    /// warehouse whose file does not exist yet. On PostgreSQL the connection's `search_path` is
    /// the schema, so `SELECT count(*) FROM events` means this warehouse's table on both.
    /// - Throws: the database's error (a missing table included).
    public func query(_ sql: String) throws -> [[String?]] {
        switch destination {
        case .sqlite:
            guard FileManager.default.fileExists(atPath: location) else { return [] }
            return try SQLiteConnection(path: location).query(sql).map { row in
                row.map { value -> String? in
                    switch value {
                    case .null: return nil
                    case .integer(let n): return String(n)
                    case .real(let d): return String(d)
                    case .text(let s): return s
                    }
                }
            }
        case .postgres:
            return try postgres!.connection.query(sql)
        }
    }

    /// The first value of the first row of `sql` as text, or `nil` (no row, or NULL).
    /// - Throws: the database's error.
    public func scalar(_ sql: String) throws -> String? {
        try query(sql).first?.first ?? nil
    }

    /// Whether a table named `name` exists in the warehouse.
    /// - Throws: the database's error.
    public func tableExists(_ name: String) throws -> Bool {
        let literal = "'" + name.replacingOccurrences(of: "'", with: "''") + "'"
        switch destination {
        case .sqlite:
            return try scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = \(literal)") == "1"
        case .postgres:
            return try scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              + "WHERE n.nspname = current_schema() AND c.relname = \(literal)") == "1"
        }
    }
}
