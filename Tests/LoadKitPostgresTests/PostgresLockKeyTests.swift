import LoadKitPostgres
import LoadKitTesting
import Testing

@Suite struct PostgresLockKeyTests {
    @Test("The key is stable: pinned values for a partition and an unpartitioned table")
    func pinned() {
        // Pinned so that a change to the derivation (which would let two versions of loadkit
        // hold "the same" lock at once) fails here; the README documents the derivation.
        #expect(PostgresLockKey(schema: "public", table: "flights", partition: "2013-01-05").value == 591117517020863369)
        #expect(PostgresLockKey(schema: "public", table: "flights", partition: nil).value == 5054114833990188665)
    }

    @Test("Keys are non-negative and distinct across schemas, tables, partitions and 400 000 daily keys")
    func distinct() {
        var seen = Set<Int64>()
        for table in ["flights", "events", "flights_daily", "a"] {
            for day in 0..<100_000 {
                let key = PostgresLockKey(schema: "public", table: table, partition: "p\(day)").value
                #expect(key >= 0)
                seen.insert(key)
            }
        }
        #expect(seen.count == 400_000)
        // Fields cannot run into each other: the NUL separators keep ("ab", "c") apart from ("a", "bc").
        #expect(PostgresLockKey(schema: "ab", table: "c", partition: "d") != PostgresLockKey(schema: "a", table: "bc", partition: "d"))
        #expect(PostgresLockKey(schema: "s", table: "t", partition: "-") != PostgresLockKey(schema: "s", table: "t", partition: nil))
        #expect(PostgresLockKey(schema: "s", table: "t", partition: "") != PostgresLockKey(schema: "s", table: "t", partition: nil))
    }

    @Test("A key held by one transaction is not available to another until it commits",
          .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
    func heldInTheDatabase() throws {
        let url = try TestPostgres.requireURL()
        let first = try PGConnection(uri: url), second = try PGConnection(uri: url)
        let key = PostgresLockKey(schema: "lk_test_locks", table: "flights", partition: String(UInt64.random(in: 0...UInt64.max)))
        try first.execute("BEGIN")
        try first.execute("SELECT pg_advisory_xact_lock($1)", [key.description])
        #expect(try second.scalar("SELECT pg_try_advisory_xact_lock($1)", [key.description]) == "f")
        try first.execute("COMMIT")
        #expect(try second.transaction { try second.scalar("SELECT pg_try_advisory_xact_lock($1)", [key.description]) } == "t")
    }
}
