/// The seam between the writers and a database: SQL text and transaction shape live behind it.
///
/// The writers (``Loader``) decide *what* happens — which partitions a load replaces, which
/// ledger entries it writes, when it is already loaded; a destination decides *how* on its
/// database: SQLite deletes and inserts in one `BEGIN IMMEDIATE` transaction; PostgreSQL can
/// swap native partitions with `ATTACH`/`DETACH PARTITION`. Adding a destination does not
/// change the writers.
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
    /// another process) to release it; a crashed holder's lock is free at once.
    ///
    /// Keys name what is locked, for messages: `partition <table> <key>`, `table <table>`
    /// (an unpartitioned table) or `load <load id>` (an append of one input); the
    /// ``Loader`` takes one per (table, partition) a load covers, in sorted order.
    /// - Throws: ``LoadKitError`` `.locked` naming the run that holds it (transient).
    func acquireLock(_ key: String, runID: String, timeout: Duration) throws

    /// Releases a lock taken by ``acquireLock(_:runID:timeout:)``.
    func releaseLock(_ key: String, runID: String) throws

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
}

extension Destination {
    /// The fingerprint of a target table's stored rows, of one partition when `partition` is set.
    public func fingerprint(table: TargetTable, partition: String?) throws -> Fingerprint {
        try fingerprint(table: table.name, partitionColumn: table.partitioning?.column, partition: partition)
    }
}

/// Rows being written into a staging table.
public protocol StagingWriter: AnyObject {
    /// The staging table's name.
    var name: String { get }
    /// Appends one row in stored-column order, given as a view into the caller's batch (valid
    /// only during the call). The hot path: no per-row allocation, no copies of the values.
    func insert(_ row: UnsafeBufferPointer<Value>) throws
    /// Makes every inserted row durable in the staging table and closes the writer.
    func finish() throws
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
