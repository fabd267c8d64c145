import LoadKit

/// A partition replace on a native partitioned table that writes each row once where it will
/// live (``LoadKit/WriteStrategy/direct``, SPEC.md §7), in **one transaction** from the first
/// row to the commit.
///
/// The first ``replace(partition:)`` opens the transaction and reads which of loadkit's
/// partition tables (`_loadkit_p_…`) exist (one catalog query, no lock). Each partition then
/// gets a table of its own, created in that transaction with the parent's columns and a CHECK
/// constraint equal to its partition bound (with `IS NOT NULL`, so that `ATTACH PARTITION`
/// skips its validation scan, and a row of another partition fails at once): a partition that
/// does not exist yet is created under its final name `_loadkit_p_<16 hex>`; one that exists is
/// rebuilt beside it as `_loadkit_new_<16 hex>_<8 hex>_<16 hex>` (the table's lock key, the load
/// id's first digits, the partition's lock key). Each table is filled by `COPY … FROM STDIN
/// WITH (FREEZE)` (allowed because it was created in the same transaction), one statement
/// with its `CREATE TABLE` (one round trip a partition). The tables are created with the
/// parent's columns written out, not `LIKE`, so building takes no lock on the parent: other
/// loads' swaps and every reader go on (a parent made by hand with NOT NULL columns, defaults or
/// collations of its own is copied with `LIKE … INCLUDING DEFAULTS`, which holds ACCESS SHARE on
/// it until the commit). Rows of a dynamic load go to their partition's table; when the input
/// keeps returning to partitions started earlier (more than ``returnsBeforeRouting`` times), the
/// rows go on through a partitioned router table that exists only in the transaction
/// (``PostgresReplaceWriter+Router``), still each written once.
///
/// ``commit(ledger:beforeCommit:)`` ends the COPY and publishes in the same transaction
/// (``PostgresPartitionSwap/publish(_:)``): each partition's advisory lock (sorted), the fence,
/// then under a 100 ms `lock_timeout` in a savepoint retried on a lock timeout, one statement
/// batch that detaches and drops each replaced partition, renames its new table, attaches every
/// table and drops its CHECK; then the ledger upsert and COMMIT. No `ANALYZE`: autovacuum
/// analyzes a new partition after its first rows (PostgreSQL manual §25.1.6).
///
/// Locks: building takes none on the parent. `ATTACH` takes SHARE UPDATE EXCLUSIVE on the parent
/// (readers and writers of other partitions go on; only DDL on the parent waits) from the
/// publish to the COMMIT; `DETACH` of a replaced partition takes ACCESS EXCLUSIVE on the parent
/// for that moment (tens of milliseconds), which queries through the parent wait for.
///
/// A crash (kill -9) or an error at any moment before the COMMIT leaves the target, the ledger
/// and the schema exactly as they were: every table of the load was created in the transaction
/// the server rolls back. Nothing is left for `gc`.
final class PostgresReplaceWriter: PartitionReplaceWriter {
    /// 0: rows go to the server from the first batch, so it creates the table and starts the
    /// COPY while the client parses the rest.
    var rowsParsedBeforeWriting: Int { 0 }

    /// The name prefix of build tables.
    static let buildPrefix = "_loadkit_new_"
    /// How many times the rows may return to a partition started earlier before they are
    /// routed (each return restarts the COPY: one round trip).
    static let returnsBeforeRouting = 16

    let destination: PostgresDestination
    let table: TargetTable
    let loadID: String
    let types: [ColumnType]
    let swap: PostgresPartitionSwap
    /// The partition key column's position in a stored row.
    private let keyIndex: Int
    /// The partitions started, in order.
    var partitions: [String] = []
    /// The table each partition's rows go to.
    var tableOf: [String: String] = [:]
    /// The names of loadkit's partition tables in the schema when the load began.
    private var existing: Set<String> = []
    var copy: PGCopyWriter?
    /// The partition the COPY in progress writes (`nil`: routed, or none).
    private var copyKey: String?
    private var returns = 0
    /// Whether the rows go through the router table (``PostgresReplaceWriter+Router``).
    var routed = false
    private var inTransaction = false
    private var finished = false
    var connection: PGConnection { destination.connection }

    init(destination: PostgresDestination, table: TargetTable, loadID: String, copiesParent: Bool) {
        self.destination = destination
        self.table = table
        self.loadID = loadID
        types = PostgresDestination.columnTypes(table.storedColumns)
        keyIndex = table.storedColumns.firstIndex { $0.name == table.partitioning?.column } ?? 0
        var swap = PostgresPartitionSwap(connection: destination.connection, schema: destination.schema,
                                         table: table.name, partitionColumn: table.partitioning?.column ?? "")
        swap.fence = destination.fence
        self.swap = swap
        columnDefinitions = copiesParent
            ? "LIKE \(destination.qualified(table.name)) INCLUDING DEFAULTS"
            : table.storedColumns.map { "\(PostgresDialect.quote($0.name)) \(PostgresDestination.postgresType($0.sqlType))" }
                .joined(separator: ", ")
    }

    /// The columns of a new table: the parent's, written out (or `LIKE` the parent).
    let columnDefinitions: String

    /// The load's build table name prefix: `_loadkit_new_`, the table's lock key, `_`, 8 load-id
    /// digits (a committed one is a leftover of an older loadkit, which `gc` drops).
    var baseName: String {
        let key = PostgresLockKey(schema: destination.schema, table: table.name, partition: nil).value
        return Self.buildPrefix + PostgresPartitionSwap.hex(key) + "_" + String(loadID.dropFirst(4).prefix(8))
    }

    var columnList: String {
        table.storedColumns.map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
    }

    /// The load's build table name a build table of one of its partitions starts with
    /// (`_loadkit_new_`, 16 hex digits, `_`, 8 hex digits).
    static func baseBuildName(_ name: String) -> String {
        String(name.prefix(buildPrefix.count + 16 + 1 + 8))
    }

    /// The name of the lease (``PostgresLocks``) an older loadkit held on its committed build
    /// table: `build <build table>` (``PostgresDestination/stagingTables()`` still honours it).
    static func buildLockName(_ name: String) -> String { "build " + name }

    func replace(partition key: String?) throws {
        guard let key else {
            throw LoadKitError(.partitionKey, "a PostgreSQL partition swap needs a partition key (table '\(table.name)')")
        }
        guard tableOf[key] == nil else { return }
        var sql = ""
        if !inTransaction {
            // One round trip: the transaction and the names of loadkit's partitions (no lock; the
            // range, `_` then the next character, is an index scan of pg_class by name).
            existing = Set(try connection.query("""
                BEGIN; SELECT relname FROM pg_class
                WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = \(PostgresDialect.literal(destination.schema)))
                AND relname >= '_loadkit_p_' AND relname < '_loadkit_p`'
                """).compactMap { $0[0] })
            inTransaction = true
        }
        try copy?.finish()
        copy = nil
        let final = swap.partitionName(key)
        // All 16 hex digits of the partition's key: two partitions of one load never share a
        // name (55 bytes, 61 with the CHECK's `_bound`: within PostgreSQL's 63).
        let name = existing.contains(final) ? baseName + "_" + PostgresPartitionSwap.hex(
            PostgresLockKey(schema: destination.schema, table: table.name, partition: key).value) : final
        if name != final { sql += "DROP TABLE IF EXISTS \(destination.qualified(name)); " }
        sql += "CREATE TABLE \(destination.qualified(name)) (\(columnDefinitions), \(bound(name, key: key))); "
        partitions.append(key)
        tableOf[key] = name
        if routed {
            sql += "ALTER TABLE \(destination.qualified(routerName)) ATTACH PARTITION \(destination.qualified(name)) "
                + "FOR VALUES IN (\(PostgresDialect.literal(key))); "
            copy = try connection.beginCopy(sql + "COPY \(destination.qualified(routerName)) (\(columnList)) FROM STDIN")
        } else {
            // Deferred: the server creates the table while the first rows are encoded.
            copy = try connection.beginCopy(sql + copyStatement(name), deferred: true)
            copyKey = key
        }
    }

    /// `COPY` into one partition's table. A table rebuilt beside its partition is filled
    /// frozen (`FREEZE`, allowed as it was created in this transaction): a snapshot older than
    /// the swap then sees the new rows, never an empty partition, and the rows need no vacuum
    /// freeze later. A new partition's rows are not frozen: a snapshot older than the commit
    /// sees none of them, as it would with any insert, and no visibility map is written (one
    /// file less to create a partition).
    private func copyStatement(_ name: String) -> String {
        "COPY \(destination.qualified(name)) (\(columnList)) FROM STDIN"
            + (name.hasPrefix(Self.buildPrefix) ? " WITH (FREEZE)" : "")
    }

    /// The CHECK constraint equal to partition `key`'s bound, with `IS NOT NULL`, so that
    /// `ATTACH PARTITION` skips its validation scan.
    private func bound(_ name: String, key: String) -> String {
        let column = PostgresDialect.quote(table.partitioning?.column ?? "")
        return "CONSTRAINT \(PostgresDialect.quote(PostgresPartitionSwap.boundName(name))) "
            + "CHECK (\(column) IS NOT NULL AND \(column) = \(PostgresDialect.literal(key)))"
    }

    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        if !routed, case .text(let key) = row[keyIndex], key != copyKey, let name = tableOf[key] {
            // A row of a partition started earlier: back to its table, or route from now on.
            returns += 1
            try copy?.finish()
            copy = nil
            if returns > Self.returnsBeforeRouting {
                try startRouting()
            } else {
                copy = try connection.beginCopy(copyStatement(name))
                copyKey = key
            }
        }
        try copy!.writeRow(values: row, types: types)
    }

    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws {
        guard !finished else { return }
        guard inTransaction else {
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
            try copy?.finish()
            copy = nil
            if routed { try stopRouting() }
            try swap.publish(partitions.map { (key: $0, built: tableOf[$0]!) })
            try destination.upsertLedger(ledger)
            try beforeCommit()
            inTransaction = false
            try connection.execute("COMMIT")
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
        if inTransaction {
            // Everything of the load was in this transaction: the rollback removes it (a
            // rollback that fails, the connection lost, is the server's when the session ends).
            inTransaction = false
            _ = try? connection.execute("ROLLBACK")
        }
    }
}
