import LoadKit
import LoadKitPostgres
import LoadKitTesting
import Testing

@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresPartitionSwapTests {
    static let columns: [(name: String, type: ColumnType)] = [("id", .integer), ("day", .text), ("delay", .real)]

    func swapper(_ schema: TemporaryPostgresSchema) throws -> PostgresPartitionSwap {
        let swap = PostgresPartitionSwap(connection: schema.connection, schema: schema.name, table: "flights", partitionColumn: "day")
        try swap.createTable(columns: Self.columns)
        return swap
    }

    func load(_ swap: PostgresPartitionSwap, _ day: String, ids: ClosedRange<Int>, loadID: String) throws {
        let built = try swap.build(partition: day, loadID: loadID) { writer in
            for id in ids { try writer.writeRow([String(id), day, "1.5"]) }
        }
        #expect(built.rows == ids.count)
        try swap.swap(partition: day, built: built.name) {}
    }

    @Test("A swap replaces one partition's rows, leaves the others, and leaves no table beside")
    func replace() throws {
        let schema = try TemporaryPostgresSchema()
        let swap = try swapper(schema)
        let db = schema.connection
        try load(swap, "2013-01-05", ids: 1...3, loadID: "lk1_00000000000000000000000000000001")
        try load(swap, "2013-01-06", ids: 10...11, loadID: "lk1_00000000000000000000000000000002")
        try load(swap, "2013-01-05", ids: 20...21, loadID: "lk1_00000000000000000000000000000003")
        #expect(try db.query("SELECT day, count(*), sum(id) FROM \(schema.name).flights GROUP BY day ORDER BY day")
                == [["2013-01-05", "2", "41"], ["2013-01-06", "2", "21"]])
        let partitions = try db.query("""
            SELECT c.relname, c.relpersistence FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = $1::regclass ORDER BY c.relname
            """, ["\(schema.name).flights"])
        #expect(partitions.map { $0[0]! }.sorted() == [swap.partitionName("2013-01-05"), swap.partitionName("2013-01-06")].sorted())
        #expect(partitions.allSatisfy { $0[1] == "p" })  // logged tables only
        #expect(try db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = $1", [schema.name]) == "3")
    }

    @Test("A row of another partition fails the build (23514, terminal); the old partition stays")
    func wrongPartition() throws {
        let schema = try TemporaryPostgresSchema()
        let swap = try swapper(schema)
        try load(swap, "2013-01-05", ids: 1...3, loadID: "lk1_00000000000000000000000000000001")
        let error = try #require(throws: PostgresError.self) {
            _ = try swap.build(partition: "2013-01-05", loadID: "lk1_00000000000000000000000000000002") { writer in
                try writer.writeRow(["9", "2013-01-06", "0"])
            }
        }
        #expect(error.sqlState == "23514")
        #expect(!error.isTransient)
        #expect(try schema.connection.scalar("SELECT count(*) FROM \(schema.name).flights WHERE day = '2013-01-05'") == "3")
    }

    @Test("When the transaction's work throws, the swap rolls back: old rows stay, the built table stays for gc")
    func rollback() throws {
        struct Stop: Error {}
        let schema = try TemporaryPostgresSchema()
        let swap = try swapper(schema)
        try load(swap, "2013-01-05", ids: 1...3, loadID: "lk1_00000000000000000000000000000001")
        let built = try swap.build(partition: "2013-01-05", loadID: "lk1_00000000000000000000000000000002") { writer in
            try writer.writeRow(["7", "2013-01-05", "0"])
        }
        #expect(throws: Stop.self) { try swap.swap(partition: "2013-01-05", built: built.name) { throw Stop() } }
        #expect(try schema.connection.scalar("SELECT sum(id) FROM \(schema.name).flights") == "6")
        #expect(try schema.connection.scalar("SELECT to_regclass($1) IS NOT NULL", ["\(schema.name).\(built.name)"]) == "t")
    }

    @Test("A reader holding the partition delays the swap past its lock timeout: 55P03, transient, nothing changed")
    func readerDelaysSwap() throws {
        let schema = try TemporaryPostgresSchema()
        var swap = try swapper(schema)
        swap.lockTimeout = .milliseconds(20)
        swap.attempts = 3
        try load(swap, "2013-01-05", ids: 1...3, loadID: "lk1_00000000000000000000000000000001")
        let reader = try PGConnection(uri: schema.url)
        try reader.execute("BEGIN")
        #expect(try reader.scalar("SELECT count(*) FROM \(schema.name).flights WHERE day = '2013-01-05'") == "3")
        let built = try swap.build(partition: "2013-01-05", loadID: "lk1_00000000000000000000000000000002") { writer in
            try writer.writeRow(["7", "2013-01-05", "0"])
        }
        let error = try #require(throws: PostgresError.self) { try swap.swap(partition: "2013-01-05", built: built.name) {} }
        #expect(error.sqlState == "55P03")
        #expect(error.isTransient)
        try reader.execute("COMMIT")
        #expect(try schema.connection.scalar("SELECT sum(id) FROM \(schema.name).flights") == "6")
        try swap.swap(partition: "2013-01-05", built: built.name) {}
        #expect(try schema.connection.scalar("SELECT sum(id) FROM \(schema.name).flights") == "7")
    }
}
