import LoadKit

/// A partition replace on a native partitioned table by swap (SPEC.md §7, issue 13 §2): the new
/// partition is built as its own table beside the old one (or, for a partition that does not
/// exist yet, under its final name), then ``publish(_:)`` attaches it in a few round trips
/// whatever the number of partitions; ``PostgresReplaceWriter`` (a `loadkit.yml` partition
/// replace) builds and publishes in one transaction.
///
/// Building (``build(partition:loadID:rows:)``, a transaction of its own, for callers that
/// publish later): `CREATE TABLE` with the parent's columns, `COPY … FROM STDIN WITH (FREEZE)`
/// (allowed because the table was created in the same transaction), a CHECK constraint equal
/// to the partition bound including `IS NOT NULL` (so `ATTACH PARTITION` skips its validation
/// scan), then `ANALYZE`. The table is always a logged table: an UNLOGGED one is never attached.
///
/// Publishing (``publish(_:)``, inside the caller's transaction; ``swap(_:inTransaction:)`` wraps
/// it in one): the partitions' advisory locks (``PostgresLockKey``) first, the fence, then, under
/// `SET LOCAL lock_timeout` inside a savepoint retried on SQLSTATE 55P03, `DETACH PARTITION` of
/// each old table (ACCESS EXCLUSIVE on the parent until the commit), `DROP` of it, `RENAME` of the
/// new one to the partition's name and `ATTACH PARTITION` (SHARE UPDATE EXCLUSIVE on the parent).
/// PostgreSQL manual, ALTER TABLE "ATTACH PARTITION", "DETACH PARTITION"; §5.11.2.2 "Partition
/// Maintenance".
public struct PostgresPartitionSwap {
    /// The connection the swap runs on (outside a transaction).
    public let connection: PGConnection
    /// The warehouse's `schema:`.
    public let schema: String
    /// The partitioned table's name.
    public let table: String
    /// The partition key column (`text`).
    public let partitionColumn: String
    /// How long the exclusive moment waits for readers before it gives up and retries.
    public var lockTimeout: Duration = .milliseconds(100)
    /// How many times the exclusive moment is tried before the lock timeout is thrown.
    public var attempts = 50
    /// Runs in the swap's transaction right after the partitions' advisory locks, before anything
    /// changes: a load's lease check (``PostgresDestination``'s fence), whose error rolls the
    /// swap back. Nothing by default.
    public var fence: () throws -> Void = {}

    /// Creates a swap for `table` in `schema`.
    public init(connection: PGConnection, schema: String, table: String, partitionColumn: String) {
        self.connection = connection
        self.schema = schema
        self.table = table
        self.partitionColumn = partitionColumn
    }

    /// Creates the partitioned table when absent: `columns` as SPEC §7 types, `PARTITION BY LIST`
    /// on the partition key column.
    /// - Throws: ``PostgresError``.
    public func createTable(columns: [(name: String, type: ColumnType)]) throws {
        let list = columns.map { "\(PostgresDialect.quote($0.name)) \(PostgresDialect.sqlType($0.type))" }
            .joined(separator: ", ")
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS \(PostgresDialect.qualified(schema, table)) (\(list))
            PARTITION BY LIST (\(PostgresDialect.quote(partitionColumn)))
            """)
    }

    /// The name of the PostgreSQL partition holding loadkit partition `key`:
    /// `_loadkit_p_` and the 16 hex digits of its lock key (at most 63 bytes for any key).
    public func partitionName(_ key: String) -> String {
        "_loadkit_p_" + Self.hex(PostgresLockKey(schema: schema, table: table, partition: key).value)
    }

    /// Builds the new table of partition `key` beside the old one and returns its name
    /// (`_loadkit_new_`, 16 hex digits of the lock key, `_`, the load id's first 8 hex digits,
    /// so that a crashed load's leftovers are found by name).
    /// - Parameters:
    ///   - key: the partition key.
    ///   - loadID: the load's id (`lk1_…`).
    ///   - rows: writes the partition's rows, every one with `key` in the partition column.
    /// - Returns: the new table's name and the number of rows stored.
    /// - Throws: ``PostgresError`` (a row of another partition violates the CHECK: 23514).
    public func build(partition key: String, loadID: String, rows: (PGCopyWriter) throws -> Void) throws -> (name: String, rows: Int) {
        let name = "_loadkit_new_" + Self.hex(PostgresLockKey(schema: schema, table: table, partition: key).value)
            + "_" + String(loadID.dropFirst(4).prefix(8))
        let qualified = PostgresDialect.qualified(schema, name)
        let column = PostgresDialect.quote(partitionColumn)
        let stored = try connection.transaction { () throws -> Int in
            try connection.execute("DROP TABLE IF EXISTS \(qualified)")
            try connection.execute("CREATE TABLE \(qualified) (LIKE \(PostgresDialect.qualified(schema, table)) INCLUDING DEFAULTS)")
            let stored = try connection.copy("COPY \(qualified) FROM STDIN WITH (FREEZE)", rows)
            try connection.execute("""
                ALTER TABLE \(qualified) ADD CONSTRAINT \(PostgresDialect.quote(Self.boundName(name)))
                CHECK (\(column) IS NOT NULL AND \(column) = \(PostgresDialect.literal(key)))
                """)
            return stored
        }
        try connection.execute("ANALYZE \(qualified)")
        return (name, stored)
    }

    /// Swaps the built table in as partition `key` in one transaction, with `inTransaction`
    /// (the ledger upsert) run last inside it; the old partition, if any, is dropped.
    /// - Throws: ``PostgresError`` (55P03, transient, when readers held the table past every
    ///   attempt), or what `inTransaction` throws; then nothing changed.
    public func swap(partition key: String, built: String, inTransaction: () throws -> Void) throws {
        try swap([(key, built)], inTransaction: inTransaction)
    }

    /// Swaps several built tables in, each as its partition, in one transaction
    /// (``publish(_:)``), then runs `inTransaction` and commits.
    /// - Parameter tables: each partition key with the name of its built table (which carries
    ///   the CHECK constraint ``boundName(_:)``).
    /// - Throws: ``PostgresError`` (55P03, transient, when readers held the table past every
    ///   attempt), or what ``fence`` or `inTransaction` throws; then nothing changed.
    public func swap(_ tables: [(key: String, built: String)], inTransaction: () throws -> Void) throws {
        try connection.transaction {
            try publish(tables)
            try inTransaction()
        }
    }

    /// Makes built tables the partitions of their keys inside the open transaction, in a fixed
    /// number of round trips whatever their count: the partitions' advisory locks in sorted key
    /// order (one statement; two loads never deadlock on them), then ``fence``, then which of the
    /// partitions exist now (one catalog query, only when some table was built beside its
    /// partition), then one batch of statements under `SET LOCAL lock_timeout` in a savepoint,
    /// retried on 55P03 (up to ``attempts`` times): for a table built beside an existing
    /// partition, `DETACH` and `DROP` of the old one (ACCESS EXCLUSIVE on the parent until the
    /// commit) and `RENAME` of the new one to the partition's name; for every table, `ATTACH
    /// PARTITION` (SHARE UPDATE EXCLUSIVE on the parent: readers go on) and `DROP` of its bound
    /// CHECK (no longer needed once attached).
    /// - Parameter tables: each partition key with its table: one named
    ///   ``partitionName(_:)`` (created by this transaction, attached as it is) or a built table
    ///   beside it, which carries the CHECK constraint ``boundName(_:)``.
    /// - Throws: ``PostgresError`` (55P03, transient, when readers held the table past every
    ///   attempt), or what ``fence`` throws; the caller then rolls the transaction back.
    ///   PostgreSQL manual, ALTER TABLE "ATTACH PARTITION", "DETACH PARTITION"; §9.27.10.
    public func publish(_ tables: [(key: String, built: String)]) throws {
        let parent = PostgresDialect.qualified(schema, table)
        // Lock keys are decimal integers: the array literal needs no quoting.
        let keys = Set(tables.map(\.key)).sorted().map { PostgresLockKey(schema: schema, table: table, partition: $0).description }
        try connection.execute("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k",
                               ["{" + keys.joined(separator: ",") + "}"])
        try fence()
        let beside = tables.filter { $0.built != partitionName($0.key) }.map { partitionName($0.key) }
        // Partition names are `_loadkit_p_` and hex digits: no quoting in the array literal either.
        let present = beside.isEmpty ? [] : Set(try connection.query("""
            SELECT relname FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
            AND relname = ANY($2::text[])
            """, [schema, "{" + beside.joined(separator: ",") + "}"]).compactMap { $0[0] })
        var sql = "SET LOCAL lock_timeout = '\(max(1, Int(lockTimeout.seconds * 1000)))ms'; SAVEPOINT loadkit_swap; "
        for (key, built) in tables {
            let name = partitionName(key)
            let partition = PostgresDialect.qualified(schema, name)
            if built != name {
                if present.contains(name) {
                    sql += "ALTER TABLE \(parent) DETACH PARTITION \(partition); DROP TABLE \(partition); "
                }
                sql += "ALTER TABLE \(PostgresDialect.qualified(schema, built)) RENAME TO \(PostgresDialect.quote(name)); "
            }
            sql += "ALTER TABLE \(parent) ATTACH PARTITION \(partition) FOR VALUES IN (\(PostgresDialect.literal(key))); "
            sql += "ALTER TABLE \(partition) DROP CONSTRAINT IF EXISTS \(PostgresDialect.quote(Self.boundName(built))); "
        }
        sql += "RELEASE SAVEPOINT loadkit_swap"
        var attempt = 1
        while true {
            do {
                try connection.execute(sql)
                return
            } catch let error as PostgresError where error.sqlState == "55P03" && attempt < attempts {
                // Readers held the parent or a partition past the lock timeout: the rows built
                // stay (the savepoint), and the exclusive moment is tried again.
                try connection.execute("ROLLBACK TO SAVEPOINT loadkit_swap")
                attempt += 1
            }
        }
    }

    /// The name of the CHECK constraint that matches a built table's partition bound.
    public static func boundName(_ built: String) -> String { built + "_bound" }

    /// 16 lower-case hex digits of a lock key.
    static func hex(_ value: Int64) -> String {
        let digits = String(UInt64(bitPattern: value), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
