import LoadKit

/// A partition replace on a native partitioned table that writes each row once where it will
/// live (``LoadKit/WriteStrategy/direct``, SPEC.md §7): a swap.
///
/// The first ``replace(partition:)`` opens one transaction on the destination's connection that
/// creates a build table `_loadkit_new_<16 hex>_<8 hex>` (the table's lock key and the load id's
/// first digits) with the parent's columns and starts `COPY … FROM STDIN WITH (FREEZE)` into it
/// (FREEZE is allowed because the table was created in the same transaction: its rows need no
/// later vacuum freeze). Rows stream in as they are parsed. ``commit(ledger:beforeCommit:)``
/// ends the COPY and commits the build table, which no reader of the target sees; when the load
/// covered several partitions (a dynamic replace) it is split into one table per partition by
/// `INSERT … SELECT`. Each new table gets a CHECK constraint equal to its partition bound
/// (with `IS NOT NULL`, so that `ATTACH PARTITION` skips its validation scan) and `ANALYZE`;
/// then one short transaction takes each partition's advisory lock, detaches and drops the old
/// partitions, attaches the new ones, drops the CHECKs, upserts the ledger and commits
/// (``PostgresPartitionSwap/swap(_:inTransaction:)``).
///
/// A crash before the build table's commit leaves nothing; after it and before the swap's commit,
/// the target and ledger as they were and a build table that `gc` drops (while the load runs, it
/// holds the build table's advisory lock, so `gc` leaves it alone).
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
    private var finished = false
    private var buildLocked = false
    private var connection: PGConnection { destination.connection }

    init(destination: PostgresDestination, table: TargetTable, loadID: String) {
        self.destination = destination
        self.table = table
        self.loadID = loadID
        types = PostgresDestination.columnTypes(table.storedColumns)
        swap = PostgresPartitionSwap(connection: destination.connection, schema: destination.schema,
                                     table: table.name, partitionColumn: table.partitioning?.column ?? "")
    }

    /// The build table of this load: `_loadkit_new_`, the table's lock key, `_`, 8 load-id digits.
    private var buildName: String {
        let key = PostgresLockKey(schema: destination.schema, table: table.name, partition: nil).value
        return Self.buildPrefix + PostgresPartitionSwap.hex(key) + "_" + String(loadID.dropFirst(4).prefix(8))
    }

    /// The session advisory lock a load holds on its build table while it exists.
    static func buildLockKey(schema: String, name: String) -> PostgresLockKey {
        PostgresLockKey(schema: schema, table: "_loadkit_build", partition: name)
    }

    func replace(partition key: String?) throws {
        guard let key else {
            throw LoadKitError(.partitionKey, "a PostgreSQL partition swap needs a partition key (table '\(table.name)')")
        }
        partitions.append(key)
        guard copy == nil else { return }
        try connection.execute("SELECT pg_advisory_lock($1)",
                               [Self.buildLockKey(schema: destination.schema, name: buildName).description])
        buildLocked = true
        try connection.execute("BEGIN")
        let build = destination.qualified(buildName)
        try connection.execute("DROP TABLE IF EXISTS \(build)")
        try connection.execute("CREATE TABLE \(build) (LIKE \(destination.qualified(table.name)) INCLUDING DEFAULTS)")
        copy = try connection.beginCopy("COPY \(build) (" + table.storedColumns.map { PostgresDialect.quote($0.name) }
            .joined(separator: ", ") + ") FROM STDIN WITH (FREEZE)")
    }

    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        try copy!.writeRow(values: row, types: types)
    }

    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws {
        guard let copy, !finished else { return }
        do {
            try copy.finish()
            try connection.execute("COMMIT")
            let build = buildName
            let column = PostgresDialect.quote(table.partitioning?.column ?? "")
            var tables: [(key: String, built: String)] = []
            if partitions.count == 1 {
                tables = [(partitions[0], build)]
            } else {
                for key in partitions {
                    let name = build + "_" + PostgresPartitionSwap.hex(
                        PostgresLockKey(schema: destination.schema, table: table.name, partition: key).value).prefix(8)
                    try connection.transaction {
                        try connection.execute("DROP TABLE IF EXISTS \(destination.qualified(name))")
                        try connection.execute("CREATE TABLE \(destination.qualified(name)) "
                                               + "(LIKE \(destination.qualified(table.name)) INCLUDING DEFAULTS)")
                        try connection.execute("INSERT INTO \(destination.qualified(name)) SELECT * FROM "
                                               + "\(destination.qualified(build)) WHERE \(column) = $1", [key])
                    }
                    built.append(name)
                    tables.append((key, name))
                }
            }
            built.append(build)
            for (key, name) in tables {
                try connection.execute("""
                    ALTER TABLE \(destination.qualified(name)) ADD CONSTRAINT \(PostgresDialect.quote(PostgresPartitionSwap.boundName(name)))
                    CHECK (\(column) IS NOT NULL AND \(column) = \(PostgresDialect.literal(key)))
                    """)
                try connection.execute("ANALYZE \(destination.qualified(name))")
            }
            try swap.swap(tables) {
                try destination.upsertLedger(ledger)
                try beforeCommit()
            }
            built.removeAll { name in tables.contains { $0.built == name } }
            finished = true
            try cleanUp()
        } catch {
            abort()
            throw error
        }
    }

    func abort() {
        guard !finished else { return }
        finished = true
        if let copy, !copy.isEnded {
            copy.abort()
            _ = try? connection.execute("ROLLBACK")
        }
        // Build tables committed before the failure are leftovers: dropped now, or by `gc` when
        // the connection itself failed.
        _ = try? cleanUp()
    }

    /// Drops the build tables left and releases the build lock.
    private func cleanUp() throws {
        for name in built { try connection.execute("DROP TABLE IF EXISTS \(destination.qualified(name))") }
        built.removeAll()
        if buildLocked {
            try connection.execute("SELECT pg_advisory_unlock($1)",
                                   [Self.buildLockKey(schema: destination.schema, name: buildName).description])
            buildLocked = false
        }
    }
}
