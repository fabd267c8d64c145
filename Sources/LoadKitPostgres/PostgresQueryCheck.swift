import LoadKit

/// Checks SQL transforms against PostgreSQL itself before anything runs (the config check,
/// SPEC.md §1 G4, G7), without the tables they read having to exist yet, and without leaving
/// anything behind.
///
/// One connection holds one transaction that is always rolled back (at ``close()`` or when the
/// value is released): inside it, ``createTable(_:columns:)`` creates a TEMP table standing for
/// each table the config declares (so it shadows a table of the same name in the schema:
/// `pg_temp` comes first in PostgreSQL's name lookup), and ``describe(_:)`` puts a query
/// through the same guards a load does (``PostgresReadOnlyQuery``: the text, `EXPLAIN`, the
/// cursor's `DECLARE`; nothing runs) and then reads its result columns and the tables it reads
/// from a TEMP view of it (`pg_attribute`, `pg_depend`). A table the config does not declare is
/// found in the warehouse's schema (the search path), as at load time. Needs the TEMP privilege
/// on the database (PostgreSQL grants it to PUBLIC by default); the server is asked nothing else
/// than it would be for a load, and writes nothing that outlives the rollback.
///
/// ```swift
/// let check = try PostgresQueryCheck(uri: "postgres://loader@db/analytics", searchPath: ["loadkit"])
/// try check.createTable("flights", columns: [("flight_date", "text"), ("carrier", "text")])
/// let daily = try check.describe("SELECT flight_date, count(*) AS n FROM flights WHERE flight_date = :partition GROUP BY 1")
/// // daily.columns: flight_date text, n bigint; daily.reads: ["flights"]
/// ```
public final class PostgresQueryCheck {
    /// What a query returns and reads.
    public struct Description: Sendable {
        /// Its result columns, in order: the name, loadkit's type as a load reads it (`nil` for
        /// `numeric`, whose values decide), and PostgreSQL's type (`format_type`).
        public var columns: [(name: String, type: ColumnType?, postgresType: String)]
        /// The names of the tables and views it reads, as PostgreSQL resolved them (the TEMP
        /// stand-ins of declared tables, or tables of the search path's schemas).
        public var reads: Set<String>
    }

    private let connection: PGConnection
    private var open = true
    private var views = 0

    /// Connects and opens the check's transaction.
    /// - Parameters:
    ///   - uri: the warehouse's libpq URI.
    ///   - searchPath: the schemas unqualified names resolve in (the config's `schema:`).
    /// - Throws: ``LoadKit/LoadKitError`` `resource.connection` (transient) when the server
    ///   cannot be reached; ``PostgresError``.
    public init(uri: String, searchPath: [String]) throws {
        connection = try PostgresDestination.connect(uri)
        try connection.execute("BEGIN")
        try PostgresReadOnlyQuery.setSearchPath(connection, searchPath)
    }

    deinit { close() }

    /// Rolls the check's transaction back: nothing it created remains.
    public func close() {
        guard open else { return }
        open = false
        _ = try? connection.execute("ROLLBACK")
    }

    /// Creates a TEMP table `name` with `columns` (name and PostgreSQL type), standing for a
    /// table of the config until ``close()``.
    /// - Throws: ``PostgresError``.
    public func createTable(_ name: String, columns: [(name: String, type: String)]) throws {
        try connection.execute("CREATE TEMP TABLE \(PostgresDialect.quote(name)) ("
            + columns.map { "\(PostgresDialect.quote($0.name)) \($0.type)" }.joined(separator: ", ") + ")")
    }

    /// Checks that `sql` is one read-only query PostgreSQL compiles, and describes it. Nothing
    /// runs; a failure is undone (a savepoint), so the check goes on with the next query.
    /// - Throws: ``LoadKit/LoadKitError`` `.transformNotReadOnly` saying why it is refused;
    ///   ``PostgresError`` when PostgreSQL cannot compile it (`42P01` `relation "x" does not
    ///   exist` for a missing table, ``missingRelation(_:)``).
    public func describe(_ sql: String) throws -> Description {
        let text = try PostgresQueryText(sql)
        views += 1
        let view = "_loadkit_check_\(views)"
        return try connection.savepoint("_loadkit_check") {
            let statement = PostgresReadOnlyQuery.wrapped(text)
            let parameters = PostgresReadOnlyQuery.parameters(text, nil)
            try PostgresReadOnlyQuery.checkPlan(connection, text.body, parameters)
            try PostgresReadOnlyQuery.declare(connection, statement, parameters)
            try connection.execute("CLOSE \(PostgresReadOnlyQuery.cursor)")
            do {
                _ = try connection.result("CREATE TEMP VIEW \(PostgresDialect.quote(view)) AS "
                                          + text.body(partitionAs: "(NULL::text)") + "\n")
            } catch let error as PostgresError {
                throw PostgresReadOnlyQuery.refusal(for: error) ?? error
            }
            let qualified = "pg_temp." + PostgresDialect.quote(view)
            let columns = try connection.query("""
                SELECT attname, atttypid::bigint, format_type(atttypid, atttypmod) FROM pg_attribute
                WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
                """, [qualified]).map { row in
                let oid = UInt32(row[1] ?? "") ?? 25
                return (name: row[0] ?? "", type: PostgresReadOnlyQuery.columnType(oid: oid), postgresType: row[2] ?? "text")
            }
            let reads = try connection.query("""
                SELECT DISTINCT c.relname FROM pg_rewrite r
                JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
                JOIN pg_class c ON c.oid = d.refobjid
                WHERE r.ev_class = $1::regclass
                """, [qualified]).compactMap { $0[0] }
            return Description(columns: columns, reads: Set(reads))
        }
    }

    /// `x` from PostgreSQL's `relation "x" does not exist` (42P01), a schema qualifier
    /// removed; `nil` for any other error.
    public static func missingRelation(_ error: PostgresError) -> String? {
        guard error.sqlState == "42P01", error.message.hasPrefix("relation \""),
              error.message.hasSuffix("\" does not exist") else { return nil }
        let name = String(error.message.dropFirst("relation \"".count).dropLast("\" does not exist".count))
        return name.split(separator: ".").last.map(String.init) ?? name
    }
}
