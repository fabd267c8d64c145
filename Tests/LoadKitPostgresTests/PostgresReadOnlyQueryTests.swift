import LoadKit
import LoadKitPostgres
import LoadKitTesting
import Testing

/// ``PostgresDestination/query(_:partitionKey:columns:row:)`` on a real server: the types a
/// transform's columns get, rows read in batches while staging copies them on the same
/// connection, and the runtime guards.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresReadOnlyQueryTests {
    @Test("Result columns get SQLite's types: integers, reals, booleans as 1/0, dates, timestamps as stored; numeric by its value; others as text")
    func types() throws {
        let schema = try TemporaryPostgresSchema()
        let destination = try PostgresDestination(uri: schema.url, schema: schema.name)
        var columns: [(name: String, type: ColumnType?)] = []
        var rows: [[Value]] = []
        try destination.query("""
            SELECT 1::int AS i, 2::bigint AS b, 1.5::float8 AS f, 3::numeric AS n, 2.5::numeric AS m, true AS t,
                   DATE '2013-01-05' AS d, TIMESTAMPTZ '2013-01-05 10:00:00.5+00' AS ts, 'x'::varchar AS v,
                   interval '1 day' AS iv, NULL::text AS z, :partition AS k
            """, partitionKey: "2013-01-05", columns: { columns = $0 }, row: { rows.append($0) })
        #expect(columns.map(\.name) == ["i", "b", "f", "n", "m", "t", "d", "ts", "v", "iv", "z", "k"])
        #expect(columns.map(\.type) == [.integer, .integer, .real, nil, nil, .boolean, .date, .timestamp, .text, .text, .text, .text])
        #expect(rows == [[.integer(1), .integer(2), .real(1.5), .integer(3), .real(2.5), .integer(1), .text("2013-01-05"),
                          .text("2013-01-05T10:00:00.5Z"), .text("x"), .text("1 day"), .null, .text("2013-01-05")]])
    }

    @Test("Inside a load's transaction the rows stream in batches into a staging table on the same connection, which is created only after the query ran")
    func batchesIntoStaging() throws {
        let schema = try TemporaryPostgresSchema()
        try schema.connection.execute("CREATE TABLE \(schema.name).src AS SELECT '2013-01-05'::text AS k, g::bigint AS n, "
                                      + "repeat('x', 2000) AS s FROM generate_series(1, 5000) g")
        let destination = try PostgresDestination(uri: schema.url, schema: schema.name)
        let table = try TargetTable(name: "dst", schema: TableSchema([Column("k", .text), Column("n", .integer), Column("s", .text)]))
        let staged = try destination.transaction { () throws -> String? in
            let staging = try destination.createStaging("_loadkit_stg_batches", for: table)
            var read = 0
            try destination.query("SELECT k, n, s FROM src WHERE k = :partition ORDER BY n", partitionKey: "2013-01-05",
                                  columns: { _ in }, row: { values in
                read += 1
                if read == 1 {
                    // The query has run to its end, read-only, before the first row: no transaction id yet.
                    #expect(try destination.connection.scalar("SELECT pg_current_xact_id_if_assigned() IS NULL") == "t")
                }
                try values.withUnsafeBufferPointer { try staging.insert($0) }
            })
            try staging.finish()
            return try destination.connection.scalar("SELECT count(*) || ' ' || sum(n) FROM pg_temp._loadkit_stg_batches")
        }
        #expect(staged == "5000 12502500")
    }

    @Test("A writing function is refused even after the transaction wrote (read-only savepoint); the transaction id check applies only when nothing wrote before")
    func guardsAfterAWrite() throws {
        let schema = try TemporaryPostgresSchema()
        try schema.connection.execute("""
            CREATE TABLE \(schema.name).t (a bigint);
            CREATE FUNCTION \(schema.name).w() RETURNS bigint LANGUAGE sql AS $$ INSERT INTO \(schema.name).t VALUES (1) RETURNING a $$;
            """)
        let destination = try PostgresDestination(uri: schema.url, schema: schema.name)
        #expect(throws: LoadKitError.self) {
            try destination.transaction {
                try destination.connection.execute("INSERT INTO \(schema.name).t VALUES (0)")
                try destination.query("SELECT w() AS x", partitionKey: nil, columns: { _ in }, row: { _ in })
            }
        }
        var ids: [Value] = []
        try destination.transaction {
            try destination.connection.execute("INSERT INTO \(schema.name).t VALUES (0)")
            try destination.query("SELECT 0 * txid_current() AS x", partitionKey: nil, columns: { _ in }, row: { ids += $0 })
            try destination.connection.execute("ROLLBACK; BEGIN")
        }
        #expect(ids == [.integer(0)])
        #expect(throws: LoadKitError.self) {
            try destination.query("SELECT 0 * txid_current() AS x", partitionKey: nil, columns: { _ in }, row: { _ in })
        }
        #expect(try schema.connection.scalar("SELECT count(*) FROM \(schema.name).t") == "0")
    }
}
