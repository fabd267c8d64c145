@testable import LoadKitPostgres
import LoadKitTesting
import Testing

/// Reading a target's layout from the catalog (``PostgresTargetLayout``): bounds as
/// `pg_get_expr` shows them, tables made by hand, and no wait behind another session's lock.
@Suite struct PostgresTargetLayoutReadTests {
    @Test("LIST bounds are read back as their keys (quotes doubled, NULL, backslashes); other bounds are not lists",
          arguments: [
              ("FOR VALUES IN ('2013-01-05')", ["2013-01-05"] as [String?]?),
              ("FOR VALUES IN ('a', 'it''s', NULL, 'a\\b')", ["a", "it's", nil, "a\\b"]),
              ("FOR VALUES IN ('x, y', '(z)')", ["x, y", "(z)"]),
              ("DEFAULT", nil),
              ("FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')", nil),
              ("FOR VALUES WITH (modulus 4, remainder 0)", nil),
              ("FOR VALUES IN ('unterminated)", nil),
          ])
    func listKeys(bound: String, keys: [String?]?) {
        #expect(PostgresTargetLayout.listKeys(bound) == keys)
    }

    @Test("A table made by hand: its foreign partitions with their keys, the DEFAULT one, inbound foreign keys, and an UNLOGGED partition of a partition",
          .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
    func handMade() throws {
        let schema = try TemporaryPostgresSchema()
        let s = schema.name
        try schema.connection.execute("""
            CREATE TABLE \(s).t (k text, id bigint, PRIMARY KEY (k, id)) PARTITION BY LIST (k);
            CREATE TABLE \(s).t_ab PARTITION OF \(s).t FOR VALUES IN ('a', 'b');
            CREATE TABLE \(s).t_def PARTITION OF \(s).t DEFAULT;
            CREATE TABLE \(s).t_c PARTITION OF \(s).t FOR VALUES IN ('c') PARTITION BY HASH (id);
            CREATE UNLOGGED TABLE \(s).t_c0 PARTITION OF \(s).t_c FOR VALUES WITH (modulus 2, remainder 0);
            CREATE TABLE \(s).t_c1 PARTITION OF \(s).t_c FOR VALUES WITH (modulus 2, remainder 1);
            CREATE TABLE \(s).notes (k text, id bigint, CONSTRAINT notes_t FOREIGN KEY (k, id) REFERENCES \(s).t);
            """)
        let layout = try PostgresTargetLayout.read(on: schema.connection, qualified: PostgresDialect.qualified(s, "t"),
                                                   partitionColumn: "k")
        #expect(layout.isPartitioned && layout.listOnKey && layout.partitionKey == "LIST (k)")
        #expect(layout.inboundForeignKeys == ["notes_t on \(s).notes"])
        #expect(layout.defaultPartition == "t_def")
        #expect(layout.foreignPartitions.map(\.name) == ["t_ab", "t_c", "t_def", "t_c0"])
        #expect(layout.foreignPartitionHolds("b") && layout.foreignPartitionHolds("c") && !layout.foreignPartitionHolds("d"))
        #expect(!layout.allowsSwap && !layout.createsPartitions)
        let refusal = try #require(layout.refusal(table: "t", schema: s, location: "here"))
        #expect(refusal.code == .unsupportedTarget && refusal.message.contains("has UNLOGGED partitions (t_c0)"), "\(refusal)")

        let other = try PostgresTargetLayout.read(on: schema.connection, qualified: PostgresDialect.qualified(s, "notes"),
                                                  partitionColumn: nil)
        #expect(!other.isPartitioned && other.isLogged && other.refusal(table: "notes", schema: s, location: "here") == nil)
        let absent = try PostgresTargetLayout.read(on: schema.connection, qualified: PostgresDialect.qualified(s, "nothing"),
                                                   partitionColumn: "k")
        #expect(absent == PostgresTargetLayout())
    }

    @Test("Reading the layout of a table of loadkit's own waits for no lock, even while another session holds ACCESS EXCLUSIVE on it",
          .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
    func takesNoLock() throws {
        let schema = try TemporaryPostgresSchema()
        let s = schema.name
        let swap = PostgresPartitionSwap(connection: schema.connection, schema: s, table: "t", partitionColumn: "k")
        try swap.createTable(columns: [("k", .text), ("v", .real)])
        try schema.connection.execute("CREATE TABLE \(s).\(swap.partitionName("a")) PARTITION OF \(s).t FOR VALUES IN ('a')")
        let holder = try PGConnection(uri: schema.url)
        try holder.execute("BEGIN; LOCK TABLE \(s).t IN ACCESS EXCLUSIVE MODE")
        defer { _ = try? holder.execute("ROLLBACK") }
        try schema.connection.execute("SET lock_timeout = '200ms'")
        let layout = try PostgresTargetLayout.read(on: schema.connection, qualified: PostgresDialect.qualified(s, "t"),
                                                   partitionColumn: "k")
        #expect(layout.allowsSwap && layout.createsPartitions && layout.foreignPartitions.isEmpty)
    }
}
