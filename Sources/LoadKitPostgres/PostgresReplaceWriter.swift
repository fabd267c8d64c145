import LoadKit

/// A partition replace on a native partitioned table that writes each row once where it will
/// live (``LoadKit/WriteStrategy/direct``, SPEC.md §7): a swap.
///
/// The first ``replace(partition:)`` opens one transaction on the destination's connection that
/// creates a build table `_loadkit_new_<16 hex>_<8 hex>` (the table's lock key and the load id's
/// first digits) with the parent's columns and starts `COPY … FROM STDIN WITH (FREEZE)` into it
/// (FREEZE is allowed because the table was created in the same transaction: its rows need no
/// later vacuum freeze). Rows stream in as they are parsed. When a second partition appears (a
/// dynamic replace), the COPY is ended, the first table is attached to a partitioned router table
/// created in the same transaction, each new partition gets a table of its own under it, and the
/// COPY goes on into the router, so every row is still written once. ``commit(ledger:beforeCommit:)``
/// ends the COPY, detaches the tables from the router and commits them; no reader of the target
/// sees them. Each new table gets a CHECK constraint equal to its partition bound
/// (with `IS NOT NULL`, so that `ATTACH PARTITION` skips its validation scan) and `ANALYZE`;
/// then one short transaction takes each partition's advisory lock, detaches and drops the old
/// partitions, attaches the new ones, drops the CHECKs, upserts the ledger and commits
/// (``PostgresPartitionSwap/swap(_:inTransaction:)``).
///
/// A crash before the build table's commit leaves nothing; after it and before the swap's commit,
/// the target and ledger as they were and a build table that `gc` drops (while the load runs, it
/// holds the build table's lease, `build <build table>` in ``PostgresLocks``, so `gc` leaves it
/// alone). The swap's transaction runs the fence (``PostgresDestination/fence()``) right after
/// its advisory locks: a load whose leases lapsed publishes nothing.
final class PostgresReplaceWriter: PartitionReplaceWriter {
    /// The name prefix of build tables.
    static let buildPrefix = "_loadkit_new_"

    private let destination: PostgresDestination
    private let table: TargetTable
    private let loadID: String
    private let types: [ColumnType]
    private let swap: PostgresPartitionSwap
    private var partitions: [String] = []
    private var copy: PGCopyWriter?
    private var built: [String] = []
    /// The table each partition's rows go to.
    private var tableOf: [String: String] = [:]
    /// Whether a second partition made the rows go through the partitioned router table.
    private var routed = false
    private var inBuildTransaction = false
    private var finished = false
    private var buildLocked = false
    private var connection: PGConnection { destination.connection }

    init(destination: PostgresDestination, table: TargetTable, loadID: String) {
        self.destination = destination
        self.table = table
        self.loadID = loadID
        types = PostgresDestination.columnTypes(table.storedColumns)
        var swap = PostgresPartitionSwap(connection: destination.connection, schema: destination.schema,
                                         table: table.name, partitionColumn: table.partitioning?.column ?? "")
        swap.fence = destination.fence
        self.swap = swap
    }

    /// The build table of this load: `_loadkit_new_`, the table's lock key, `_`, 8 load-id digits.
    private var buildName: String {
        let key = PostgresLockKey(schema: destination.schema, table: table.name, partition: nil).value
        return Self.buildPrefix + PostgresPartitionSwap.hex(key) + "_" + String(loadID.dropFirst(4).prefix(8))
    }

    /// The partitioned table that routes a dynamic load's rows to one build table per partition;
    /// it exists only inside the build transaction.
    private var routerName: String { buildName + "_r" }

    private var columnList: String {
        table.storedColumns.map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
    }

    /// The load's build table name a build table of one of its partitions starts with
    /// (`_loadkit_new_`, 16 hex digits, `_`, 8 hex digits).
    static func baseBuildName(_ name: String) -> String {
        String(name.prefix(buildPrefix.count + 16 + 1 + 8))
    }

    /// The name of the lease (``PostgresLocks``) a load holds on its build table while it
    /// exists: `build <build table>`.
    static func buildLockName(_ name: String) -> String { "build " + name }

    func replace(partition key: String?) throws {
        guard let key else {
            throw LoadKitError(.partitionKey, "a PostgreSQL partition swap needs a partition key (table '\(table.name)')")
        }
        partitions.append(key)
        let column = PostgresDialect.quote(table.partitioning?.column ?? "")
        guard let running = copy else {
            try destination.locks.acquire(Self.buildLockName(buildName), runID: loadID, holder: "load \(loadID)",
                                          timeout: destination.lockTimeout)
            buildLocked = true
            try connection.execute("BEGIN")
            inBuildTransaction = true
            let build = destination.qualified(buildName)
            try connection.execute("DROP TABLE IF EXISTS \(build)")
            try connection.execute("CREATE TABLE \(build) (LIKE \(destination.qualified(table.name)) INCLUDING DEFAULTS)")
            tableOf[key] = buildName
            copy = try connection.beginCopy("COPY \(build) (\(columnList)) FROM STDIN WITH (FREEZE)")
            return
        }
        // A second partition (a dynamic load): from now on rows are routed by a partitioned
        // build parent, the first partition's table attached to it (its CHECK lets ATTACH skip
        // the scan), each new partition a table of its own; every row is still written once.
        try running.finish()
        let parent = destination.qualified(routerName)
        if !routed {
            try addBound(buildName, key: partitions[0])
            try connection.execute("DROP TABLE IF EXISTS \(parent)")
            try connection.execute("CREATE TABLE \(parent) (LIKE \(destination.qualified(table.name)) INCLUDING DEFAULTS) "
                                   + "PARTITION BY LIST (\(column))")
            try connection.execute("ALTER TABLE \(parent) ATTACH PARTITION \(destination.qualified(buildName)) "
                                   + "FOR VALUES IN (\(PostgresDialect.literal(partitions[0])))")
            routed = true
        }
        // All 16 hex digits of the partition's key: two partitions of one load never share a
        // name (55 bytes, 61 with the CHECK's `_bound`: within PostgreSQL's 63).
        let name = buildName + "_" + PostgresPartitionSwap.hex(
            PostgresLockKey(schema: destination.schema, table: table.name, partition: key).value)
        try connection.execute("DROP TABLE IF EXISTS \(destination.qualified(name))")
        try connection.execute("CREATE TABLE \(destination.qualified(name)) PARTITION OF \(parent) "
                               + "FOR VALUES IN (\(PostgresDialect.literal(key)))")
        tableOf[key] = name
        copy = try connection.beginCopy("COPY \(parent) (\(columnList)) FROM STDIN")
    }

    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        try copy!.writeRow(values: row, types: types)
    }

    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws {
        guard !finished else { return }
        // Committed once the swap returns: releasing the build lease after it must not fail the
        // load (a cancelled statement, a lost connection). A lease left behind guards a build
        // table that no longer exists, and expires by itself.
        defer { if finished { _ = try? cleanUp() } }
        guard let copy else {
            // No partition was started (nothing to swap): the ledger entries still commit.
            try connection.transaction {
                try destination.fence()
                try destination.upsertLedger(ledger)
                try beforeCommit()
            }
            finished = true
            return
        }
        do {
            try copy.finish()
            let tables = partitions.map { (key: $0, built: tableOf[$0]!) }
            if routed {
                let parent = destination.qualified(routerName)
                for (key, name) in tables {
                    try connection.execute("ALTER TABLE \(parent) DETACH PARTITION \(destination.qualified(name))")
                    if key != partitions[0] { try addBound(name, key: key) }
                }
                try connection.execute("DROP TABLE \(parent)")
            } else {
                try addBound(buildName, key: partitions[0])
            }
            try connection.execute("COMMIT")
            inBuildTransaction = false
            built = tables.map(\.built)
            // One ANALYZE for all (PostgreSQL 11+ takes a list): one round trip, not one per partition.
            try connection.execute("ANALYZE " + tables.map { destination.qualified($0.built) }.joined(separator: ", "))
            try swap.swap(tables) {
                try destination.upsertLedger(ledger)
                try beforeCommit()
            }
            built.removeAll()
            finished = true
        } catch {
            abort()
            throw error
        }
    }

    func abort() {
        guard !finished else { return }
        finished = true
        if let copy, !copy.isEnded { copy.abort() }
        if inBuildTransaction {
            // Everything of the build phase was in this transaction: the rollback removes it.
            _ = try? connection.execute("ROLLBACK")
            inBuildTransaction = false
        }
        // Build tables committed before the failure are leftovers: dropped now, or by `gc` when
        // the connection itself failed.
        _ = try? cleanUp()
    }

    /// The CHECK constraint equal to partition `key`'s bound, with `IS NOT NULL`, so that
    /// `ATTACH PARTITION` skips its validation scan.
    private func addBound(_ name: String, key: String) throws {
        let column = PostgresDialect.quote(table.partitioning?.column ?? "")
        try connection.execute("""
            ALTER TABLE \(destination.qualified(name)) ADD CONSTRAINT \(PostgresDialect.quote(PostgresPartitionSwap.boundName(name)))
            CHECK (\(column) IS NOT NULL AND \(column) = \(PostgresDialect.literal(key)))
            """)
    }

    /// Drops the build tables left and releases the build lock.
    private func cleanUp() throws {
        for name in built { try connection.execute("DROP TABLE IF EXISTS \(destination.qualified(name))") }
        built.removeAll()
        if buildLocked {
            buildLocked = false
            try destination.locks.release(Self.buildLockName(buildName), runID: loadID)
        }
    }
}
