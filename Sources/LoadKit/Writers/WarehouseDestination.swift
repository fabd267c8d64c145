/// A whole warehouse behind one connection: the ``Destination`` the writers load through, the
/// run log (``RunLog``), the notification log (``NotificationLog``), and the maintenance that
/// commands need (`gc`, `backfill --rebuild`, `verify`'s per-load fingerprints).
///
/// SQLite (`LoadKitSQLite.SQLiteDestination`) and PostgreSQL
/// (`LoadKitPostgres.PostgresDestination`) implement it; the project layer opens one from the
/// `warehouse:` string and never learns which it holds. Use one from one thread at a time; open
/// one per worker.
public protocol WarehouseDestination: Destination, RunLog, NotificationLog, StagingFingerprinting {
    /// Where the warehouse is, for messages: the SQLite file's path, or the PostgreSQL URI with
    /// its password masked.
    var location: String { get }

    /// `true` when opened for reading only (`--dry-run`, `status`): nothing is created or written.
    var readOnly: Bool { get }

    /// Whether any run is recorded as `running` (so that a reader opens a writable connection
    /// to mark dead ones only when there may be some); `false` when there is no run log yet.
    func hasRunningRuns() throws -> Bool

    /// Makes this connection the run log's: cheaper commits where the destination allows it
    /// without losing a record to a killed process (SQLite: `synchronous=NORMAL` in WAL mode).
    /// - Returns: `self`.
    func forRunRecords() throws -> Self

    /// The fingerprint of `table`'s stored rows (of one partition when `partition` is set) in
    /// `version` (the current one, or a ledger entry's to compare with it).
    /// - Throws: ``LoadKitError`` `.noSuchTable`, `.partitionKey`; the destination's error.
    func fingerprint(table: String, partitionColumn: String?, partition: String?,
                     version: Fingerprint.Version) throws -> Fingerprint

    /// The fingerprint of the rows one append load wrote (`_loadkit_load_id` = `loadID`),
    /// optionally of one partition only; empty when no row carries it.
    /// - Throws: ``LoadKitError`` `.noSuchTable`, `.schema` (not an append table), `.partitionKey`.
    func fingerprint(table: String, loadID: String, partitionColumn: String?,
                     partition: String?, version: Fingerprint.Version) throws -> Fingerprint

    /// Deletes one append load's rows and its ledger entry in one transaction, holding the load
    /// id's lock; returns the number of rows deleted.
    /// - Throws: ``LoadKitError`` `.schema` (not an append table), `.locked` (transient).
    @discardableResult
    func removeLoad(table: String, loadID: String, runID: String, lockTimeout: Duration) throws -> Int

    /// Drops `table` and deletes its ledger entries in one transaction (`backfill --rebuild`);
    /// its run history stays.
    func dropTable(_ table: String) throws

    /// Lock leftovers no run holds now (SQLite's holder files of killed runs, per-key lock files
    /// of earlier versions), for `gc`; empty where locks live
    /// in the database and vanish with their holder (PostgreSQL).
    func unusedLockFiles() -> [String]

    /// Removes one leftover named by ``unusedLockFiles()``.
    func removeLockFile(_ name: String)

    /// The partitions of `table` with a task on the warehouse's queue (SPEC.md §8): `running`
    /// while a worker's lease on it holds, else `queued`. Empty for a warehouse without a queue.
    func queuedPartitions(table: String) throws -> [String: QueuedTaskState]
}

extension WarehouseDestination {
    /// No queue: nothing is queued (SQLite).
    public func queuedPartitions(table: String) throws -> [String: QueuedTaskState] { [:] }

    /// The fingerprint of the stored rows in the current version (``Destination``'s requirement).
    public func fingerprint(table: String, partitionColumn: String?, partition: String?) throws -> Fingerprint {
        try fingerprint(table: table, partitionColumn: partitionColumn, partition: partition, version: .current)
    }

    /// The append fingerprint in the current version.
    public func fingerprint(table: String, loadID: String, partitionColumn: String?,
                            partition: String?) throws -> Fingerprint {
        try fingerprint(table: table, loadID: loadID, partitionColumn: partitionColumn, partition: partition,
                        version: .current)
    }
}
