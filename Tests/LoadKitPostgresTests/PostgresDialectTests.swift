import LoadKit
import LoadKitPostgres
import LoadKitTesting
import Testing

@Suite struct PostgresDialectTests {
    @Test("Column types map as SPEC §7 says")
    func types() {
        #expect(ColumnType.allCases.map(PostgresDialect.sqlType) ==
                ["bigint", "double precision", "text", "boolean", "date", "timestamptz"])
    }

    @Test("A hostile name quoted means itself on the server",
          .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
    func hostileName() throws {
        let schema = try TemporaryPostgresSchema()
        let name = "Flights \"2013\"; DROP TABLE x; --"
        let table = PostgresDialect.qualified(schema.name, name)
        try schema.connection.execute("CREATE TABLE \(table) (\(PostgresDialect.quote("Select")) \(PostgresDialect.sqlType(.integer)))")
        try schema.connection.execute("INSERT INTO \(table) VALUES (1)")
        #expect(try schema.connection.scalar("SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                                             [schema.name]) == name)
    }
}
