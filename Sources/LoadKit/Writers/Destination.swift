/// The seam between the writers and a database: SQL text and transaction shape live behind it.
///
/// The writers (``Loader``) decide *what* happens — which partitions a load replaces, which
/// ledger entries it writes, when it is already loaded, and which ``WriteStrategy`` a load
/// takes; a destination decides *how* on its database. Two ways in:
/// - ``beginReplace(_:loadID:)`` (``WriteStrategy/direct``, partition replace from a file): each row is
///   written once, where it will live. SQLite deletes each covered partition and inserts the
///   rows in one `BEGIN IMMEDIATE` transaction; PostgreSQL will `COPY` each partition into a
///   new table beside the old one and swap them (`DETACH`/`ATTACH PARTITION`) in one short
///   transaction with the ledger.
/// - ``createStaging(_:for:)`` then ``commit(_:beforeCommit:)`` (``WriteStrategy/staged``:
///   appends, SQL transforms, and the fallback of a dynamic replace): rows go into a staging
///   table first, then one transaction moves them.
///
/// Adding a destination does not change the writers.
public protocol Destination: AnyObject {
    /// Creates loadkit's own tables (`_loadkit_ledger`, `_loadkit_runs`, `_loadkit_attempts`)
    /// when absent.
    func prepareCatalog() throws

    /// Creates the target table with its stored columns and an index on the partition key
    /// (and load id) when absent; when present, checks that its columns are the same.
    /// - Throws: ``LoadKitError`` `.schemaMismatch` naming both column lists; loadkit never
    ///   alters an existing table.
    func ensureTable(_ table: TargetTable) throws

    /// The stored columns of an existing table, in order; empty when it does not exist.
    func existingColumns(of table: String) throws -> [TargetTable.StoredColumn]

    /// Takes the named lock for `runID`, waiting up to `timeout` for another run (in this or
    /// another process) to release it. A crashed holder's lock is free at once where the lock
    /// lives with the process (SQLite: the kernel drops it), and once its lease expires where
    /// it is a row in the database (PostgreSQL: at once when the dead holder ran on this host).
    /// A `timeout` of zero tries once, without waiting.
    ///
    /// Keys name what is locked, for messages: `partition <table> <key>`, `table <table>`
    /// (an unpartitioned table) or `load <load id>` (an append of one input); the
    /// ``Loader`` takes one per (table, partition) a load covers, in sorted order, except
    /// that a dynamic replace writing directly tries each partition's lock without waiting
    /// when its input first shows that partition (see ``beginReplace(_:loadID:)``). Lock calls may come
    /// from another thread than the one a ``PartitionReplaceWriter`` of this destination is
    /// inserting on, at the same time; they must not use the writer's connection.
    /// - Throws: ``LoadKitError`` `.locked` naming the run that holds it (transient).
    func acquireLock(_ key: String, runID: String, timeout: Duration) throws

    /// Releases a lock taken by ``acquireLock(_:runID:timeout:)``.
    func releaseLock(_ key: String, runID: String) throws

    /// Starts a partition replace of `table` that writes each row once, straight into the
    /// target (``WriteStrategy/direct``), or returns `nil` when this destination only stages
    /// (the ``Loader`` then stages, as for an append).
    ///
    /// The writer's ``PartitionReplaceWriter/replace(partition:)`` is called for each partition
    /// the load covers before its first row, then its rows, then one commit (with the ledger
    /// entries) or abort. Until the commit returns, no other connection sees any of it; a
    /// crash at any moment before leaves target and ledger as they were.
    ///
    /// On SQLite the writer opens the load's one `BEGIN IMMEDIATE` transaction when the first
    /// partition starts, on the thread that writes the rows, waiting up to the busy timeout
    /// (`lock_timeout`) for the warehouse's write lock while the loader goes on parsing into
    /// its bounded queue, and holds that lock until the commit or abort: meanwhile the ``Loader``
    /// never waits for a partition lock (it tries it, and on a held one aborts and stages
    /// instead), so a load holding a partition lock and waiting for the write lock cannot
    /// deadlock with it.
    /// On PostgreSQL (planned, SPEC.md §7) it takes no table-wide lock: each partition's rows
    /// are copied into a new table, and the commit swaps old and new partitions and upserts the
    /// ledger in one short transaction.
    ///
    /// ```swift
    /// if let writer = try destination.beginReplace(table, loadID: loadID) {
    ///     try writer.replace(partition: "2013-01-05")
    ///     try rows.withUnsafeBufferPointer { try writer.insert($0) }
    ///     try writer.commit(ledger: entries) {}
    /// }
    /// ```
    /// - Parameters:
    ///   - table: the target, which exists (``ensureTable(_:)``).
    ///   - loadID: the load's id (`lk1_` and 32 hex digits), for naming what a destination
    ///     builds beside the target (PostgreSQL's new partition tables), so that a crashed run's
    ///     leftovers are found by name; SQLite builds nothing and does not use it.
    /// - Throws: the destination's error when the replace cannot start. (On SQLite a write lock
    ///   that stays busy past the busy timeout is thrown by the writer's first call, as
    ///   `resource.locked`.)
    func beginReplace(_ table: TargetTable, loadID: String) throws -> (any PartitionReplaceWriter)?

    /// Creates an empty staging table named `name` with `table`'s stored columns, first
    /// dropping a leftover of the same name.
    func createStaging(_ name: String, for table: TargetTable) throws -> any StagingWriter

    /// Drops a staging table; no error when it does not exist.
    func dropStaging(_ name: String) throws

    /// The names of all staging tables that exist (for `gc`), with whether a live process
    /// holds the lock of their load.
    func stagingTables() throws -> [(name: String, inUse: Bool)]

    /// In one transaction: removes what `plan.scope` covers from the target, inserts every
    /// staged row, and upserts the ledger entries; `beforeCommit` runs last inside it.
    /// A crash at any point leaves the target and ledger as they were before, or as after.
    /// Inside ``transaction(_:)`` it joins that transaction instead of starting its own.
    func commit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws

    /// Runs `body` in one write transaction (on SQLite `BEGIN IMMEDIATE`): everything it reads
    /// is one snapshot, and everything it writes commits together when it returns or rolls back
    /// when it throws. SQL transforms run their query, staging and commit inside one.
    func transaction<T>(_ body: () throws -> T) throws -> T

    /// The distinct ``TableDefinition/partitioning`` values recorded in `table`'s ledger
    /// entries (entries written before loadkit recorded definitions are left out); `nil`
    /// stands for entries of an unpartitioned table.
    func recordedPartitionings(table: String) throws -> [String?]

    /// The ledger entry of `loadID` in `table`, if any.
    func ledgerEntry(table: String, loadID: String) throws -> LedgerEntry?

    /// Every ledger entry of `table`, ordered by partition key then load id.
    func ledger(table: String) throws -> [LedgerEntry]

    /// The fingerprint of the stored rows of the table named `table` (all its columns, in
    /// table order); of one partition when `partition` is set.
    /// - Parameters:
    ///   - table: the table's name.
    ///   - partitionColumn: the partition key column, required with `partition`.
    ///   - partition: a partition key; `nil` for the whole table.
    /// - Throws: ``LoadKitError`` `.noSuchTable` when the table does not exist.
    func fingerprint(table: String, partitionColumn: String?, partition: String?) throws -> Fingerprint

    /// Runs a read-only query with `:partition` bound to `partitionKey` and streams its rows.
    /// - Parameters:
    ///   - sql: one read-only query.
    ///   - partitionKey: the value bound to `:partition`; `nil` binds NULL.
    ///   - columns: called once, first, with the column names and declared types (`nil` when
    ///     the database does not know one).
    ///   - row: called for each row, in the query's order.
    func query(_ sql: String, partitionKey: String?,
               columns: ([(name: String, type: ColumnType?)]) throws -> Void,
               row: ([Value]) throws -> Void) throws

    /// Stops the statement this destination's connection is running now, from another thread
    /// (the runner's `timeout:` timer): SQLite `sqlite3_interrupt`, PostgreSQL `PQcancel`
    /// (`PGConnection.cancel()` in LoadKitPostgres). The statement fails with the database's interrupt error, the
    /// open transaction rolls back, and the load throws. When no statement is running it does
    /// nothing, and it must not fail a statement started later: work between statements is
    /// stopped by the load's ``Cancellation`` flag instead.
    ///
    /// The only method of a destination that may be called from another thread while it works;
    /// it never blocks, and it is called only while the destination is open.
    /// https://www.sqlite.org/c3ref/interrupt.html,
    /// https://www.postgresql.org/docs/current/libpq-cancel.html
    func interrupt()
}

extension Destination {
    /// The fingerprint of a target table's stored rows, of one partition when `partition` is set.
    public func fingerprint(table: TargetTable, partition: String?) throws -> Fingerprint {
        try fingerprint(table: table.name, partitionColumn: table.partitioning?.column, partition: partition)
    }
}

extension Destination {
    /// This destination only stages: every load takes ``WriteStrategy/staged``.
    public func beginReplace(_ table: TargetTable, loadID: String) throws -> (any PartitionReplaceWriter)? { nil }
}

/// Where a load's rows go, one at a time, on the hot path.
public protocol RowWriter: AnyObject {
    /// Writes one row in stored-column order, given as a view into the caller's batch (valid
    /// only during the call). The hot path: no per-row allocation, no copies of the values.
    func insert(_ row: UnsafeBufferPointer<Value>) throws

    /// How many rows the loader may parse before its first write, in rows: an input no longer
    /// is parsed whole, then written from the loader's own thread (``StagingPipeline``).
    /// 1,024 by default, for a writer whose first write takes a lock every loader of the
    /// warehouse needs (SQLite's one writer), held from then to the commit; 0 for one whose
    /// first write starts work elsewhere that should overlap the parsing (PostgreSQL's server
    /// creating a partition's table while the client encodes its rows).
    var rowsParsedBeforeWriting: Int { get }
}

extension RowWriter {
    /// 1,024 rows (a day of flights, at most 1,014).
    public var rowsParsedBeforeWriting: Int { 1_024 }
}

/// Rows being written into a staging table.
public protocol StagingWriter: RowWriter {
    /// The staging table's name.
    var name: String { get }
    /// Makes every inserted row durable in the staging table and closes the writer.
    func finish() throws
}

/// One partition replace that writes each row once (``WriteStrategy/direct``), made by
/// ``Destination/beginReplace(_:loadID:)``.
///
/// Calls come in this order: ``replace(partition:)`` once for each partition the load covers,
/// before the first of its rows (a dynamic load starts a partition when its input first shows
/// it, and rows of different partitions may then interleave); ``insert(_:)`` for each row, in
/// stored-column order, its partition key column holding a started partition; then exactly one
/// of ``commit(ledger:beforeCommit:)`` or ``abort()``. `replace` and `insert` may run on another
/// thread than `beginReplace`, `commit` and `abort`, never at the same time as them.
///
/// What a crash leaves: before `commit` returns, the target and the ledger as they were (on
/// SQLite the open transaction is rolled back by the journal; on PostgreSQL the new partition
/// tables are leftovers for `gc`); after, the new state, complete.
public protocol PartitionReplaceWriter: RowWriter {
    /// Starts replacing one partition (`nil`: every row of an unpartitioned table): its old
    /// rows will not survive the commit. SQLite deletes them now, inside the open transaction;
    /// PostgreSQL will create the partition's new table.
    func replace(partition key: String?) throws
    /// Upserts `ledger` and makes everything visible at once; `beforeCommit` runs last before
    /// the commit itself (the failpoint `before_commit`), and when it throws nothing is committed.
    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws
    /// Discards everything written (no error: a failed rollback is left to the database's
    /// journal). Calling it after `commit` does nothing.
    func abort()
}

/// What the final transaction of a load does.
public struct CommitPlan: Sendable {
    /// What the load removes from the target before inserting the staged rows.
    public enum Scope: Sendable, Hashable {
        /// The rows of these partitions (partition replace, static or dynamic).
        case partitions([String])
        /// Every row (replace of an unpartitioned table).
        case wholeTable
        /// The rows an earlier load with this load id appended (append with changed content).
        case loadID(String)
        /// Nothing (a first append).
        case nothing
    }

    /// The target.
    public var table: TargetTable
    /// The staging table holding the rows to insert.
    public var stagingName: String
    /// What is removed first.
    public var scope: Scope
    /// The ledger entries written with the data.
    public var ledger: [LedgerEntry]

    /// Creates a plan.
    public init(table: TargetTable, stagingName: String, scope: Scope, ledger: [LedgerEntry]) {
        self.table = table
        self.stagingName = stagingName
        self.scope = scope
        self.ledger = ledger
    }
}

extension LoadKitError.Code {
    /// An existing target table's columns differ from the declared ones.
    public static let schemaMismatch = LoadKitError.Code("target.schema_mismatch")
    /// Another run holds the lock of this load.
    public static let locked = LoadKitError.Code("target.locked")
    /// The source has no rows where a load needs some.
    public static let emptySource = LoadKitError.Code("source.empty")
    /// A row's partition key is not the partition being loaded.
    public static let outsidePartition = LoadKitError.Code("source.outside_partition")
    /// The named table does not exist.
    public static let noSuchTable = LoadKitError.Code("target.no_such_table")
    /// A row has no partition key.
    public static let missingPartitionKey = LoadKitError.Code("source.missing_partition_key")
}
