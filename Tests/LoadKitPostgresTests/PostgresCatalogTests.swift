import LoadKitPostgres
import LoadKitTesting
import Testing

@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresCatalogTests {
    @Test("The catalog is created in the configured schema, twice without error, with SQLite's column names")
    func prepare() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("DROP SCHEMA \(schema.name)")  // prepare creates the schema itself
        try PostgresCatalog.prepare(on: db, schema: schema.name)
        try db.execute("INSERT INTO \(schema.name)._loadkit_runs(run_id, command, args, started_at, status) VALUES ('r1', 'load', '', 'now', 'running')")
        try PostgresCatalog.prepare(on: db, schema: schema.name)
        #expect(try db.scalar("SELECT count(*) FROM \(schema.name)._loadkit_runs") == "1")
        let tables = try db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema.name])
        #expect(tables.map { $0[0] } == ["_loadkit_attempts", "_loadkit_leases", "_loadkit_ledger", "_loadkit_notifications", "_loadkit_runs", "_loadkit_tasks"])
        let ledgerColumns = try db.query("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = $1 AND table_name = '_loadkit_ledger' ORDER BY ordinal_position
            """, [schema.name]).map { $0[0] }
        #expect(ledgerColumns == ["table_name", "partition_key", "load_id", "write_mode", "rows", "fingerprint",
                                  "source_fingerprint", "run_id", "loaded_at", "definition_fingerprint",
                                  "partitioning", "upstream", "input", "fingerprint_version"])
    }
}
