import Foundation
import LoadKit

/// A PostgreSQL warehouse as a loadkit ``LoadKit/WarehouseDestination`` (SPEC.md §7).
///
/// The targets and loadkit's `_loadkit_` tables (``PostgresCatalog``) live in one schema (the
/// config's `schema:`). A partitioned target is a native table `PARTITION BY LIST` on its
/// partition key column (`text`), one PostgreSQL partition per loadkit partition, named
/// `_loadkit_p_` and 16 hex digits (``PostgresPartitionSwap/partitionName(_:)``). A partition
/// replace writes directly (``PostgresReplaceWriter``), in one transaction: `COPY … FREEZE` into
/// a new table per partition, then a short exclusive moment attaches it (swapping out the old
/// partition, if any) and upserts the ledger. Appends, replaces
/// of unpartitioned or plain (not partitioned) tables, of a table partitioned in a way that
/// forbids a swap (``PostgresTargetLayout``), and the fallback of a replace stage into a TEMP
/// table by `COPY`, then one transaction deletes what the load covers, inserts the staged rows
/// and upserts the ledger. An UNLOGGED target is refused. A SQL transform stages too, its query
/// run inside that same transaction as one read-only query
/// (``query(_:partitionKey:columns:row:)``, ``PostgresReadOnlyQuery``).
///
/// Locks (``acquireLock(_:runID:timeout:)``) are lease rows in `_loadkit_leases`
/// (``PostgresLocks``) on a second connection, renewed by a heartbeat, so that they work across
/// machines and a holder that dies or freezes loses them one lease (``lease``) after its last
/// renewal (at once for an acquirer on the dead holder's host); every commit transaction takes
/// its partitions' `pg_advisory_xact_lock` first, then checks that this load still holds its
/// leases (the fence), and publishes nothing otherwise. Nothing outlives a transaction on
/// either connection (staging tables live inside the load's one transaction), so a pool in
/// transaction mode (PgBouncer) can serve both, declared by `loadkit_pool=transaction` in the
/// URI (``PostgresPoolMode``). The session settings `TimeZone = 'UTC'` and `DateStyle = 'ISO,
/// YMD'` are set on connect, and `extra_float_digits = 1` where the server's is lower (not
/// behind a transaction pool), so values read back are the ones loaded (``PostgresValueCodec``).
///
/// Use one destination from one thread at a time (lock calls excepted, which have their own
/// connection); open one per worker.
public final class PostgresDestination: WarehouseDestination {
    /// The warehouse for messages: `postgres://user@host:port/database`, never a password.
    public let location: String
    /// The schema holding targets and `_loadkit_` tables.
    public let schema: String
    /// The data connection.
    public let connection: PGConnection
    /// `true` when opened for reading only: nothing is created, and every transaction is read-only.
    public let readOnly: Bool
    /// The URI for libpq (without loadkit's `loadkit_pool`).
    let uri: String
    let lockTimeout: Duration
    /// How long a load lock lasts without renewal (``PostgresLocks``).
    public let lease: Duration
    /// How the connections reach the server (``PostgresPoolMode``, from the URI).
    public let poolMode: PostgresPoolMode
    var catalogReady = false
    var inLoadTransaction = false
    /// Whether a staged load's transaction is open (``createStaging(_:for:)`` until the commit).
    var inStagingTransaction = false
    /// Each target's layout, read by ``ensureTable(_:)`` at the start of every load.
    var layouts: [String: PostgresTargetLayout] = [:]
    let locks: PostgresLocks
    /// The staging COPY in progress, ended by the next staging call if a failed load left it open.
    var openStaging: PostgresStagingWriter?
    /// The schemas in which a SQL transform's query finds unqualified names, in order: ``schema``,
    /// then the `readingAlso` schemas (PostgreSQL's `pg_catalog`, and `pg_temp` for tables, come
    /// first as always).
    public let querySchemas: [String]

    /// Connects to the warehouse.
    /// - Parameters:
    ///   - uri: a libpq connection URI (``PGConnection/init(uri:connectTimeout:)``).
    ///   - schema: the config's `schema:` (default `public`).
    ///   - lockTimeout: how long a load waits for another run's partition lock (`lock_timeout`).
    ///   - lease: how long a load lock lasts without renewal (`queue: { lease: }`, default 30 s,
    ///     at least 1 s): how long a frozen or vanished holder keeps others waiting.
    ///   - readingOnly: open for reading only (`--dry-run`, `status`): nothing is created.
    ///   - readingAlso: more schemas a transform's query reads unqualified names from, after
    ///     `schema` (verify's scratch schema reads the warehouse's: ``querySchemas``).
    /// - Throws: ``LoadKit/LoadKitError`` `resource.connection` naming host, port and database
    ///   when the server cannot be reached (within the connect timeout, default 5 s), or for a
    ///   `loadkit_pool` value that is not a mode.
    public init(uri: String, schema: String = "public", lockTimeout: Duration = .seconds(60),
                lease: Duration = .seconds(30), readingOnly: Bool = false, readingAlso: [String] = []) throws {
        let declared = try PostgresPoolMode.split(uri)
        poolMode = declared.mode
        self.uri = declared.uri
        self.lease = max(lease, .seconds(1))
        self.schema = schema
        querySchemas = [schema] + readingAlso.filter { $0 != schema }
        self.lockTimeout = lockTimeout
        self.readOnly = readingOnly
        connection = try Self.connect(self.uri)
        let target = connection.target
        location = "postgres://\(target.user)@\(target.host):\(target.port)/\(target.database)"
        locks = PostgresLocks(uri: self.uri, schema: schema, lease: self.lease, poolMode: poolMode)
        // PgBouncer tracks TimeZone and DateStyle (it sets them again on each server connection it
        // lends this client); the other settings would stay on a pooled server connection for its
        // next client, so behind a transaction pool they are not set (see PostgresPoolMode).
        try connection.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'")
        let state = try connection.query("""
            SELECT to_regclass($1) IS NOT NULL, current_setting('extra_float_digits')::int < 1
            """, [PostgresDialect.qualified(schema, "_loadkit_runs")]).first ?? []
        catalogReady = state.first == "t"
        switch poolMode {
        case .session:
            if state.last == "t" { try connection.execute("SET extra_float_digits = 1") }
            if readingOnly { try connection.execute("SET default_transaction_read_only = on") }
        case .transaction:
            connection.preparesStatements = false
            connection.readOnlyTransactions = readingOnly
        }
    }

    /// A connection to the warehouse's server (`uri` without loadkit's `loadkit_pool`).
    /// - Throws: ``LoadKit/LoadKitError`` `resource.connection` (transient) naming host, port,
    ///   database and libpq's reason, and what to check.
    static func connect(_ uri: String) throws -> PGConnection {
        // loadkit's own URI parameter (`loadkit_pool`) is not libpq's.
        let libpqURI = try PostgresPoolMode.split(uri).uri
        do {
            return try PGConnection(uri: libpqURI)
        } catch let error as PostgresError where error.sqlStateClass == "08" {
            throw LoadKitError(.resourceConnection, error.message + "; check that the server runs and accepts "
                + "connections, and that warehouse: in loadkit.yml (or --warehouse, or the PG* variables) names it",
                isTransient: true)
        }
    }

    /// `schema.name`, quoted.
    func qualified(_ name: String) -> String { PostgresDialect.qualified(schema, name) }

    public func prepareCatalog() throws {
        if catalogReady || readOnly { return }
        try PostgresCatalog.prepare(on: connection, schema: schema)
        catalogReady = true
    }

    public func forRunRecords() throws -> Self { self }

    // MARK: - Targets

    public func ensureTable(_ table: TargetTable) throws {
        try prepareCatalog()
        let declared = table.storedColumns
        var existing = try existingColumns(of: table.name)
        if existing.isEmpty {
            // Under the table's advisory lock: loads starting at once on several machines would
            // race on CREATE TABLE (a unique violation in pg_type).
            try connection.transaction {
                try connection.execute("SELECT pg_advisory_xact_lock($1)",
                                       [PostgresLockKey(schema: schema, table: table.name, partition: nil).description])
                guard try existingColumns(of: table.name).isEmpty else { return }
                let list = declared.map { "\(PostgresDialect.quote($0.name)) \(Self.postgresType($0.sqlType))" }
                    .joined(separator: ", ")
                var sql = "CREATE TABLE \(qualified(table.name)) (\(list))"
                if let partitioning = table.partitioning {
                    sql += " PARTITION BY LIST (\(PostgresDialect.quote(partitioning.column)))"
                }
                try connection.execute(sql)
                if table.writeMode == .append {
                    let index = Identifier.indexName(table: table.name, column: TargetTable.loadIDColumn)
                    try connection.execute("CREATE INDEX \(PostgresDialect.quote(index)) ON \(qualified(table.name)) "
                                           + "(\(PostgresDialect.quote(TargetTable.loadIDColumn)))")
                }
            }
            existing = try existingColumns(of: table.name)
        }
        if existing != declared {
            func show(_ columns: [TargetTable.StoredColumn]) -> String {
                columns.map { "\($0.name) \($0.sqlType)" }.joined(separator: ", ")
            }
            throw LoadKitError(.schemaMismatch,
                "table '\(table.name)' in \(location) (schema \(schema)) has columns (\(show(existing))) but the config "
                + "declares (\(show(declared))); loadkit never alters a table: drop it, or use "
                + "`loadkit backfill --table \(table.name) --rebuild` to rebuild it from its sources")
        }
        // Once per load: a table altered by hand since the last load (a DEFAULT partition, a
        // foreign key, UNLOGGED) is seen before anything is written.
        layouts[table.name] = nil
        let layout = try layout(of: table)
        if let refusal = layout.refusal(table: table.name, schema: schema, location: location) {
            throw refusal
        }
    }

    /// How `table` is laid out (``PostgresTargetLayout``), as read by ``ensureTable(_:)``.
    func layout(of table: TargetTable) throws -> PostgresTargetLayout {
        if let known = layouts[table.name] { return known }
        let known = try PostgresTargetLayout.read(on: connection, qualified: qualified(table.name),
                                                  partitionColumn: table.partitioning?.column)
        layouts[table.name] = known
        return known
    }

    /// The stored columns, their types named as on SQLite (`INTEGER`, `REAL`, `TEXT`,
    /// `BOOLEAN`, `DATE`, `TIMESTAMP`) so that one declaration compares equal on both.
    public func existingColumns(of table: String) throws -> [TargetTable.StoredColumn] {
        try connection.query("""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [qualified(table)]).map { row in
            TargetTable.StoredColumn(name: row[0] ?? "", sqlType: Self.loadKitType(row[1] ?? ""))
        }
    }

    /// The PostgreSQL type of a stored column's SQLite-style type name (SPEC.md §7).
    static func postgresType(_ sqlType: String) -> String {
        ColumnType.allCases.first { $0.sqlType == sqlType }.map(PostgresDialect.sqlType) ?? sqlType
    }

    /// The SQLite-style type name of a PostgreSQL type, for comparing declarations; any type
    /// that is not one loadkit makes keeps PostgreSQL's own lower-case name, so that it never
    /// passes for one of loadkit's (`real`, PostgreSQL's 4-byte float, is not loadkit's `REAL`,
    /// stored as `double precision`; `integer` is not `bigint`): a target made by hand with such
    /// a column is refused as a schema mismatch instead of rounding or overflowing values.
    static func loadKitType(_ postgresType: String) -> String {
        ColumnType.allCases.first { PostgresDialect.sqlType($0) == postgresType }?.sqlType
            ?? (postgresType == "timestamp with time zone" ? "TIMESTAMP" : postgresType)
    }

    /// The declared types of stored columns, for encoding rows and decoding results.
    static func columnTypes(_ columns: [TargetTable.StoredColumn]) -> [ColumnType] {
        columns.map { column in ColumnType.allCases.first { $0.sqlType == column.sqlType } ?? .text }
    }

    /// Drops `table` (its partitions with it) and its ledger entries in one transaction.
    public func dropTable(_ table: String) throws {
        try prepareCatalog()
        try connection.transaction {
            try connection.execute("DROP TABLE IF EXISTS \(qualified(table))")
            try connection.execute("DELETE FROM \(qualified("_loadkit_ledger")) WHERE table_name = $1", [table])
        }
        layouts[table] = nil
    }

    // MARK: - Locks

    /// Takes the lease of `key` (``PostgresLocks/acquire(_:runID:holder:timeout:)``).
    public func acquireLock(_ key: String, runID: String, timeout: Duration) throws {
        try locks.acquire(key, runID: runID, timeout: timeout)
    }

    /// Releases the lease of `key` (``PostgresLocks/release(_:runID:)``).
    public func releaseLock(_ key: String, runID: String) throws {
        try locks.release(key, runID: runID)
    }

    /// The fence of a commit transaction open on ``connection``: run right after its advisory
    /// locks (``PostgresLocks/fence(on:)``).
    /// - Throws: ``LoadKit/LoadKitError`` `.lockLost` when a held lease is no longer this load's.
    func fence() throws {
        try locks.fence(on: connection)
    }

    /// PostgreSQL's lease rows expire by themselves: no lock file is left behind.
    public func unusedLockFiles() -> [String] { [] }

    /// Nothing to remove (``unusedLockFiles()`` is always empty).
    public func removeLockFile(_ name: String) {}

    // MARK: - Direct replace

    /// A ``PostgresReplaceWriter`` (a swap) for a partitioned target whose layout allows one
    /// (``PostgresTargetLayout/allowsSwap``); `nil` (the load stages, then deletes and inserts in
    /// one transaction) for an unpartitioned or plain table, a table partitioned another way, with
    /// a DEFAULT partition, partitions loadkit did not make or inbound foreign keys, inside a
    /// transform's transaction, or when reading only.
    public func beginReplace(_ table: TargetTable, loadID: String) throws -> (any PartitionReplaceWriter)? {
        guard !inLoadTransaction, !readOnly, table.partitioning != nil else { return nil }
        let layout = try layout(of: table)
        guard layout.allowsSwap else { return nil }
        abandonStaging()
        return PostgresReplaceWriter(destination: self, table: table, loadID: loadID, copiesParent: layout.hasColumnExtras)
    }

    // MARK: - Transactions

    /// One `REPEATABLE READ` transaction, so that everything `body` reads is one snapshot.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        inLoadTransaction = true
        defer { inLoadTransaction = false }
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        do {
            let value = try body()
            try connection.execute("COMMIT")
            return value
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a transaction of its own, or inside the load's open one (``transaction(_:)``,
    /// or a staged load's from ``createStaging(_:for:)``).
    func writing<T>(_ body: () throws -> T) throws -> T {
        inLoadTransaction || inStagingTransaction ? try body() : try connection.transaction(body)
    }

    /// Asks the server to cancel the statement running on the data connection (`PQcancel`;
    /// it then fails with SQLSTATE 57014 and its transaction rolls back). A cancel that reaches
    /// an idle session does nothing. PostgreSQL manual §34.7 "Canceling Queries in Progress".
    public func interrupt() {
        connection.cancel()
    }

    // MARK: - Queries

    /// Runs a SQL transform's query as one read-only query (``PostgresReadOnlyQuery``, SPEC.md
    /// §1 G7): `:partition` is `$1`, a `text` parameter bound to `partitionKey` (NULL when
    /// `nil`); unqualified names resolve in ``querySchemas``. Inside the load's transaction
    /// (``transaction(_:)``) it runs there, its rows handed to `row` in batches between which the
    /// staging COPY is ended (``PostgresStagingWriter/suspend()``); outside, in a `REPEATABLE
    /// READ READ ONLY` transaction of its own, committed after the last row.
    /// - Throws: ``LoadKit/LoadKitError`` `.transformNotReadOnly` (terminal) when the SQL is not
    ///   one read-only query, saying why (`DELETE writes to table flights`, `a second statement
    ///   follows the query: …`); ``PostgresError`` when it does not compile or fails; what the
    ///   callbacks throw.
    public func query(_ sql: String, partitionKey: String?,
                      columns: ([(name: String, type: ColumnType?)]) throws -> Void,
                      row: ([Value]) throws -> Void) throws {
        let text = try PostgresQueryText(sql)
        func run() throws {
            try PostgresReadOnlyQuery.run(on: connection, text: text, partitionKey: partitionKey,
                                          searchPath: querySchemas, beforeFetch: { try openStaging?.suspend() },
                                          columns: columns, row: row)
        }
        if inLoadTransaction { return try run() }
        // No load of this connection is staging now: a COPY a failed one left open ends here.
        abandonStaging()
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            try run()
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
