import Foundation
import LoadKit

/// A SQLite warehouse as a loadkit ``Destination``.
///
/// The target tables and loadkit's `_loadkit_` tables live in the warehouse file. Staging
/// tables are TEMP tables of this destination's connection (see ``SQLiteStagingWriter``), named
/// `_loadkit_stg_<32 hex>` after the load id. Load locks are `flock(2)` locks on files in the
/// folder `<warehouse>.loadkit-locks/`. A partition replace writes directly
/// (``beginReplace(_:loadID:)``, ``SQLiteReplaceWriter``): one `BEGIN IMMEDIATE` transaction deletes
/// each covered partition, inserts the rows and upserts the ledger. A staged load's final swap
/// is one `BEGIN IMMEDIATE` transaction that deletes the covered rows, inserts the staged rows
/// and upserts the ledger (https://www.sqlite.org/lang_transaction.html).
///
/// Use one destination from one thread at a time; open one per worker.
public final class SQLiteDestination: WarehouseDestination {
    /// The warehouse file.
    public let path: String
    /// The warehouse file, for messages (``WarehouseDestination/location``).
    public var location: String { path }
    /// The folder of the load locks (``LoadLockTable``).
    public let lockDirectory: String
    /// The connection to the warehouse.
    public let connection: SQLiteConnection
    private var catalogReady = false
    private var inLoadTransaction = false
    var verifiedTables = Set<String>()
    /// The run log's statements, prepared once per connection: a runner writes two records per
    /// attempt, and preparing each anew was a measurable part of W3's per-task cost.
    var runLogStatements: [String: SQLiteStatement] = [:]
    private var locks: [String: LoadLockTable.Held] = [:]
    private lazy var lockTable = LoadLockTable(directory: lockDirectory)
    private let host = ProcessInfo.processInfo.hostName
    private let pid = getpid()

    /// The page size of a warehouse loadkit creates: 16 KiB. A load appends rows at the right edge
    /// of its table and partition index, and bigger pages mean fewer page splits, b-tree levels
    /// and log frames a row: W1 took 12–20 % less CPU than with SQLite's default 4 KiB (minimum
    /// of 4–6 runs each, two rounds: 1.10 s against 1.27 s, 0.88 s against 1.10 s). A warehouse made by an earlier version, or by another
    /// program, keeps its own. https://www.sqlite.org/pragma.html#pragma_page_size
    static let pageSize = 16_384

    /// Opens (creating if absent) a warehouse.
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - busyTimeout: how long a statement waits for another connection's write lock.
    /// - Throws: ``LoadKitError`` `resource.read_only`, `resource.disk_full`, `resource.locked`
    ///   or `resource.io` (``SQLiteResourceFault``) when the file cannot be opened, else
    ///   ``SQLiteError``.
    public init(path: String, busyTimeout: Duration = .seconds(60)) throws {
        self.path = path
        self.lockDirectory = Self.lockDirectory(of: path)
        self.readOnly = false
        do {
            self.connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout, pageSize: Self.pageSize)
            // Memory stays bounded whatever a load's size: at most 512 KiB of warehouse pages and
            // 1 MiB of staging (TEMP) pages are cached; the rest spills to the write-ahead log or
            // to a temporary file. A load appends mostly at the right edge of its table and index,
            // so a small cache costs it nothing. https://www.sqlite.org/pragma.html#pragma_cache_size
            try connection.execute("PRAGMA main.cache_size=-512; PRAGMA temp_store=FILE; PRAGMA temp.cache_size=-1024")
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .open, warehouse: path, busyTimeout: busyTimeout)
        }
    }

    /// Opens an existing warehouse for reading only, leaving the file system as it was (for
    /// `--dry-run`): with SQLite's `immutable` URI parameter when no write-ahead log exists, so
    /// no `-wal`/`-shm` file is created; read-only through the log when one exists (another
    /// process is writing, or one crashed). https://www.sqlite.org/uri.html
    /// - Throws: ``SQLiteError`` when the file does not exist or cannot be read.
    public init(readingOnly path: String) throws {
        self.path = path
        self.lockDirectory = Self.lockDirectory(of: path)
        self.readOnly = true
        self.connection = try SQLiteConnection(path: Self.readOnlyURI(path), mode: .readOnly, walJournal: false)
        self.catalogReady = try connection.scalar(
            "SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_ledger'") == .integer(1)
        if catalogReady {
            // A warehouse of an earlier version lacks the newer columns; read it through TEMP
            // views (in memory, never in the file) that add them as NULL.
            for table in Set(SQLiteCatalog.addedColumns.map(\.table)).sorted() {
                let have = Set(try connection.query("SELECT name FROM pragma_table_info(?)", [.text(table)])
                    .compactMap(\.first?.textValue))
                let missing = SQLiteCatalog.addedColumns.filter { $0.table == table && !have.contains($0.column) }
                guard !have.isEmpty, !missing.isEmpty else { continue }
                try connection.execute("CREATE TEMP VIEW \(table) AS SELECT *, "
                    + missing.map { "NULL AS \($0.column)" }.joined(separator: ", ") + " FROM main.\(table)")
            }
        }
    }

    /// The URI that opens (or attaches) `path` for reading without creating a file: `immutable=1`
    /// when no write-ahead log exists, else `mode=ro` (https://www.sqlite.org/uri.html).
    static func readOnlyURI(_ path: String) -> String {
        let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["?", "#", "%"])) ?? path
        let immutable = !FileManager.default.fileExists(atPath: path + "-wal")
        return "file:\(escaped)?\(immutable ? "immutable=1" : "mode=ro")"
    }

    /// `true` for a destination opened with ``init(readingOnly:)``.
    public let readOnly: Bool

    public func prepareCatalog() throws {
        if catalogReady { return }
        if readOnly {
            throw LoadKitError(.noSuchTable, "\(path) has no loadkit tables yet")
        }
        // The usual case, everything there already, is read without taking the write lock,
        // which another connection's load may hold for a while.
        if try catalogComplete() {
            catalogReady = true
            return
        }
        try explainingWriteFaults { try connection.transaction {
            try connection.execute(SQLiteCatalog.ddl)
            for (table, column) in SQLiteCatalog.addedColumns {
                let have = try connection.query("SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
                                                [.text(table), .text(column)])
                if have.isEmpty { try connection.execute("ALTER TABLE \(table) ADD COLUMN \(column) TEXT") }
            }
        } }
        catalogReady = true
    }

    /// Whether every table, index and added column of the catalog exists.
    private func catalogComplete() throws -> Bool {
        let names = SQLiteCatalog.objects.map { _ in "?" }.joined(separator: ", ")
        guard try connection.scalar("SELECT count(*) FROM sqlite_master WHERE name IN (\(names))",
                                    SQLiteCatalog.objects.map(Value.text)) == .integer(Int64(SQLiteCatalog.objects.count))
        else { return false }
        for (table, column) in SQLiteCatalog.addedColumns {
            if try connection.query("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", [.text(table), .text(column)]).isEmpty {
                return false
            }
        }
        return true
    }

    // MARK: - Target tables

    public func ensureTable(_ table: TargetTable) throws {
        let wanted = table.storedColumns
        // Checked once per destination; the common case (it exists and matches) takes no write lock.
        if verifiedTables.contains(table.name) { return }
        if try columns(of: table.name) == wanted {
            verifiedTables.insert(table.name)
            return
        }
        try connection.transaction {
            let existing = try columns(of: table.name)
            if existing.isEmpty {
                try create(table, as: table.name)
            } else if existing == wanted {
                // Another connection created it meanwhile.
            } else if existing.map(\.name) == wanted.map(\.name), try loaded(table.name) {
                // Only column types changed in a table loadkit loaded (its definition changed; its
                // loaded partitions are stale until reloaded): rebuild the table with the new
                // types, keeping its rows, in this one transaction. A table loadkit did not
                // create is never altered. https://www.sqlite.org/lang_altertable.html#otheralter
                let old = "_loadkit_old_" + HashingByteSource.sha256Hex(Array(table.name.utf8)).prefix(24)
                let names = wanted.map { Identifier.quoted($0.name) }.joined(separator: ", ")
                try connection.execute("ALTER TABLE \(Identifier.quoted(table.name)) RENAME TO \(Identifier.quoted(old))")
                try connection.execute("CREATE TABLE \(Identifier.quoted(table.name)) ("
                    + wanted.map { "\(Identifier.quoted($0.name)) \($0.sqlType)" }.joined(separator: ", ") + ")")
                try connection.execute("INSERT INTO \(Identifier.quoted(table.name)) (\(names)) SELECT \(names) FROM \(Identifier.quoted(old))")
                try connection.execute("DROP TABLE \(Identifier.quoted(old))")
                try createIndexes(table)
            } else {
                func show(_ columns: [TargetTable.StoredColumn]) -> String {
                    columns.map { "\($0.name) \($0.sqlType)" }.joined(separator: ", ")
                }
                let mismatch = "table '\(table.name)' exists with columns (\(show(existing))) but the config declares "
                    + "(\(show(wanted))); "
                throw LoadKitError(.schemaMismatch, try loaded(table.name)
                    ? mismatch + "loadkit does not add, drop or rename columns of a loaded table: rebuild it "
                        + "with `loadkit backfill --table \(table.name) --from KEY --to KEY --rebuild` (drops the table and "
                        + "its ledger entries, then loads the range), or restore the old columns in loadkit.yml"
                    : mismatch + "loadkit never alters a table: migrate or drop it, or fix the config")
            }
        }
        verifiedTables.insert(table.name)
    }

    /// Runs a write to the warehouse, explaining a resource fault (``SQLiteResourceFault``).
    func explainingWriteFaults<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .commit, warehouse: path, busyTimeout: connection.busyTimeout)
        }
    }

    /// Whether loadkit loaded `table` (it has ledger entries): only such a table's column types
    /// are rebuilt when its definition changes.
    private func loaded(_ table: String) throws -> Bool {
        try !connection.query("SELECT 1 FROM _loadkit_ledger WHERE table_name = ? LIMIT 1", [.text(table)]).isEmpty
    }

    private func create(_ table: TargetTable, as name: String) throws {
        try connection.execute("CREATE TABLE \(Identifier.quoted(name)) ("
            + table.storedColumns.map { "\(Identifier.quoted($0.name)) \($0.sqlType)" }.joined(separator: ", ") + ")")
        try createIndexes(table)
    }

    private func createIndexes(_ table: TargetTable) throws {
        var indexed: [String] = []
        if let partitioning = table.partitioning { indexed.append(partitioning.column) }
        if table.writeMode == .append { indexed.append(TargetTable.loadIDColumn) }
        for column in indexed {
            try connection.execute("CREATE INDEX \(Identifier.quoted(Identifier.indexName(table: table.name, column: column))) "
                + "ON \(Identifier.quoted(table.name)) (\(Identifier.quoted(column)))")
        }
    }

    public func existingColumns(of table: String) throws -> [TargetTable.StoredColumn] {
        try columns(of: table)
    }

    private func columns(of table: String) throws -> [TargetTable.StoredColumn] {
        try connection.query("SELECT name, type FROM pragma_table_info(?)", [.text(table)]).map {
            guard case .text(let name) = $0[0], case .text(let type) = $0[1] else {
                return TargetTable.StoredColumn(name: "?", sqlType: "?")
            }
            return TargetTable.StoredColumn(name: name, sqlType: type)
        }
    }

    // MARK: - Locks

    public func acquireLock(_ key: String, runID: String, timeout: Duration) throws {
        let holder = "run \(runID) (pid \(pid) on \(host), since "
            + CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)) + ")"
        locks[key] = try lockTable.acquire(key, description: holder, timeout: timeout)
    }

    public func releaseLock(_ key: String, runID: String) throws {
        if let held = locks.removeValue(forKey: key) { lockTable.release(held) }
    }

    // MARK: - Direct replace

    /// A ``SQLiteReplaceWriter``, whose first partition or row opens the load's `BEGIN IMMEDIATE`
    /// transaction; `nil` inside another transaction of this connection (a transform's), where
    /// the load stages and joins that transaction instead.
    /// - Throws: ``SQLiteError`` when the target cannot be written; the writer's calls throw
    ///   ``LoadKitError`` `resource.locked` (transient) when another connection holds the write
    ///   lock past the busy timeout (`lock_timeout`), or another ``SQLiteResourceFault``.
    ///   https://www.sqlite.org/lang_transaction.html
    public func beginReplace(_ table: TargetTable, loadID: String) throws -> (any PartitionReplaceWriter)? {
        guard connection.isAutocommit, !inLoadTransaction, !readOnly else { return nil }
        return try SQLiteReplaceWriter(connection: connection, table: table, warehouse: path)
    }

    /// Interrupts the statement running on ``connection`` (``SQLiteConnection/interrupt()``);
    /// safe from another thread while this destination is open.
    public func interrupt() {
        connection.interrupt()
    }

    // MARK: - Staging

    public func createStaging(_ name: String, for table: TargetTable) throws -> any StagingWriter {
        try SQLiteStagingWriter(name: name, connection: connection, table: table)
    }

    public func dropStaging(_ name: String) throws {
        // A staging writer's own transaction left open by an error ends here; inside a load's
        // transaction (a transform) the drop joins it, and an error rolls back both.
        if !connection.isAutocommit && !inLoadTransaction { try connection.execute("ROLLBACK") }
        try connection.execute("DROP TABLE IF EXISTS temp.\(Identifier.quoted(name))")
    }

    /// The staging tables of this connection. TEMP tables vanish with their connection, so a
    /// crashed run never leaves one for another process to find: from a fresh process this is
    /// always empty.
    public func stagingTables() throws -> [(name: String, inUse: Bool)] {
        try connection.query("SELECT name FROM temp.sqlite_master WHERE type = 'table' AND name LIKE '\(LoadID.stagingPrefix)%'")
            .compactMap { if case .text(let name) = $0[0] { (name, true) } else { nil } }
    }

    /// The load-lock keys (`partition flights 2013-01-05`, `table airlines`, `load <id>`) that
    /// some live process holds now in the warehouse at `path`, sorted: read from the holder
    /// files of its lock folder (``LoadLockTable``), for tests and tools.
    public static func heldLockKeys(warehouse path: String) -> [String] {
        LoadLockTable.heldKeys(in: lockDirectory(of: path))
    }

    /// `<warehouse>.loadkit-locks`, the folder of the warehouse's load locks.
    private static func lockDirectory(of warehouse: String) -> String { warehouse + ".loadkit-locks" }

    /// Files of the lock folder that no live process uses (``LoadLockTable/unusedFiles(in:)``:
    /// holder files left by crashed runs, per-key lock files of earlier versions; harmless, tiny).
    public func unusedLockFiles() -> [String] {
        LoadLockTable.unusedFiles(in: lockDirectory)
    }

    /// Deletes a lock file found by ``unusedLockFiles()``.
    public func removeLockFile(_ name: String) {
        unlink("\(lockDirectory)/\(name)")
    }

    public func fingerprints(ofStaging name: String, table: TargetTable,
                             version: Fingerprint.Version) throws -> [String?: Fingerprint] {
        let keyIndex = table.partitioning.flatMap { p in table.storedColumns.firstIndex { $0.name == p.column } }
        var result: [String?: Fingerprint] = [:]
        try Self.scan(connection, "SELECT * FROM temp.\(Identifier.quoted(name))", []) { row in
            var key: String?
            if let keyIndex, case .text(let k) = row[keyIndex] { key = k }
            result[key, default: Fingerprint(version: version)].add(row)
        }
        return result
    }

    // MARK: - Commit

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        inLoadTransaction = true
        defer { inLoadTransaction = false }
        return try connection.transaction(.immediate, body)
    }

    public func recordedPartitionings(table: String) throws -> [String?] {
        if readOnly && !catalogReady { return [] }
        try prepareCatalog()
        return try connection.query("""
            SELECT DISTINCT partitioning FROM _loadkit_ledger
            WHERE table_name = ? AND definition_fingerprint IS NOT NULL
            """, [.text(table)]).map { $0[0].textValue }
    }

    public func commit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws {
        do {
            if connection.isAutocommit {
                try connection.transaction { try write(plan, beforeCommit: beforeCommit) }
            } else {
                // Inside the load's own transaction (a transform): it commits when that one does.
                try write(plan, beforeCommit: beforeCommit)
            }
        } catch let error as SQLiteError {
            throw SQLiteResourceFault.explain(error, phase: .commit, warehouse: path, busyTimeout: connection.busyTimeout)
        }
    }

    private func write(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws {
        let table = Identifier.quoted(plan.table.name)
        let columns = plan.table.storedColumns.map { Identifier.quoted($0.name) }.joined(separator: ", ")
        do {
            switch plan.scope {
            case .partitions(let keys):
                let column = Identifier.quoted(plan.table.partitioning?.column ?? "")
                let delete = try connection.prepare("DELETE FROM main.\(table) WHERE \(column) = ?")
                for key in keys { try delete.execute([.text(key)]) }
            case .wholeTable:
                try connection.execute("DELETE FROM main.\(table)")
            case .loadID(let id):
                try connection.prepare("DELETE FROM main.\(table) WHERE \(Identifier.quoted(TargetTable.loadIDColumn)) = ?")
                    .execute([.text(id)])
            case .nothing:
                break
            }
            try connection.execute("INSERT INTO main.\(table) (\(columns)) SELECT \(columns) "
                + "FROM temp.\(Identifier.quoted(plan.stagingName))")
            try Self.upsertLedger(plan.ledger, on: connection)
            try beforeCommit()
        }
    }

    /// Inserts or replaces `entries` in `_loadkit_ledger` (keyed by table and load id), inside
    /// the caller's transaction.
    static func upsertLedger(_ entries: [LedgerEntry], on connection: SQLiteConnection) throws {
        try upsertLedger(entries, with: try connection.prepare(SQLiteCatalog.upsertLedger))
    }

    /// Upserts `entries` with `upsert`, a statement prepared from ``SQLiteCatalog/upsertLedger``
    /// (a direct replace prepares it before it takes the write lock).
    static func upsertLedger(_ entries: [LedgerEntry], with upsert: SQLiteStatement) throws {
        for entry in entries {
            try upsert.execute([
                .text(entry.table), entry.partitionKey.map(Value.text) ?? .null, .text(entry.loadID),
                .text(entry.writeMode.rawValue), .integer(Int64(entry.fingerprint.rows)),
                .text(entry.fingerprint.hex), .text(entry.sourceFingerprint), .text(entry.runID),
                .text(entry.loadedAt), entry.definitionFingerprint.map(Value.text) ?? .null,
                entry.partitioning.map(Value.text) ?? .null, entry.upstream.map(Value.text) ?? .null,
                entry.input.map(Value.text) ?? .null, .text(entry.fingerprint.version.rawValue),
            ])
        }
    }

    // MARK: - Reading

    public func ledgerEntry(table: String, loadID: String) throws -> LedgerEntry? {
        if readOnly && !catalogReady { return nil }
        try prepareCatalog()
        return try connection.query(SQLiteCatalog.selectLedger + " WHERE table_name = ? AND load_id = ?",
                                    [.text(table), .text(loadID)]).first.flatMap(Self.ledgerEntry)
    }

    public func ledger(table: String) throws -> [LedgerEntry] {
        if readOnly && !catalogReady { return [] }
        try prepareCatalog()
        return try connection.query(SQLiteCatalog.selectLedger
            + " WHERE table_name = ? ORDER BY partition_key, load_id", [.text(table)]).compactMap(Self.ledgerEntry)
    }

    private static func ledgerEntry(_ row: [Value]) -> LedgerEntry? {
        guard case .text(let table) = row[0], case .text(let loadID) = row[2], case .text(let mode) = row[3],
              let writeMode = WriteMode(rawValue: mode), case .integer(let rows) = row[4],
              // NULL: an entry written before fingerprint versions (v1); a version this loadkit
              // does not know leaves the entry unread.
              let version = row[13].textValue == nil ? .v1 : Fingerprint.Version(rawValue: row[13].textValue!),
              case .text(let hex) = row[5], let fingerprint = Fingerprint(hex: hex, rows: Int(rows), version: version),
              case .text(let source) = row[6], case .text(let runID) = row[7], case .text(let at) = row[8] else {
            return nil
        }
        let key: String? = if case .text(let k) = row[1] { k } else { nil }
        return LedgerEntry(table: table, partitionKey: key, loadID: loadID, writeMode: writeMode,
                           fingerprint: fingerprint, sourceFingerprint: source, runID: runID, loadedAt: at,
                           definitionFingerprint: row[9].textValue, partitioning: row[10].textValue,
                           upstream: row[11].textValue, input: row[12].textValue)
    }

    /// The fingerprint of the stored rows of `table` (of one partition when `partition` is set)
    /// in `version`: the current one, or a ledger entry's to compare with it.
    /// - Throws: ``LoadKitError`` `.noSuchTable`, `.partitionKey`; ``SQLiteError``.
    public func fingerprint(table: String, partitionColumn: String?, partition: String?,
                            version: Fingerprint.Version) throws -> Fingerprint {
        if try columns(of: table).isEmpty {
            throw LoadKitError(.noSuchTable, "table '\(table)' does not exist in \(path); load it first")
        }
        var sql = "SELECT * FROM \(Identifier.quoted(table))"
        var bindings: [Value] = []
        if let partition {
            guard let partitionColumn else {
                throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned; fingerprint it without a partition")
            }
            sql += " WHERE \(Identifier.quoted(partitionColumn)) = ?"
            bindings = [.text(partition)]
        }
        return try fingerprintRows(sql, bindings, version: version)
    }

    /// The fingerprint of the rows `sql` returns (every column, in order), encoded straight
    /// from SQLite's values without building `Value`s.
    func fingerprintRows(_ sql: String, _ bindings: [Value], version: Fingerprint.Version) throws -> Fingerprint {
        var fingerprint = Fingerprint(version: version)
        let statement = try connection.prepare(sql)
        try statement.bind(bindings)
        var encoder = RowEncoder()
        while try statement.step() {
            encoder.reset()
            statement.encodeRow(into: &encoder)
            fingerprint.add(digestOf: encoder.bytes)
        }
        return fingerprint
    }

    /// Runs a transform's query, after proving it is exactly one read-only query
    /// (``SQLiteConnection/prepareReadOnlyQuery(_:)``), with `:partition` bound to
    /// `partitionKey` (NULL when `nil`).
    /// - Throws: ``LoadKitError`` `.transformNotReadOnly` before anything runs, ``SQLiteError``
    ///   for SQL that does not compile or fails, and `columns`' and `row`'s errors.
    public func query(_ sql: String, partitionKey: String?,
                      columns: ([(name: String, type: ColumnType?)]) throws -> Void,
                      row: ([Value]) throws -> Void) throws {
        let statement = try connection.prepareReadOnlyQuery(sql)
        let index = statement.parameterIndex(":partition")
        if index > 0 { try statement.bind(partitionKey.map(Value.text) ?? .null, at: index) }
        try columns((0..<statement.columnCount).map { i in
            (statement.columnName(i), statement.columnDeclaredType(i).flatMap(Self.columnType))
        })
        while try statement.step() { try row(statement.row()) }
    }

    private static func columnType(_ declared: String) -> ColumnType? {
        ColumnType.allCases.first { $0.sqlType == declared.uppercased() }
    }

    private static func scan(_ db: SQLiteConnection, _ sql: String, _ bindings: [Value],
                             _ body: ([Value]) throws -> Void) throws {
        let statement = try db.prepare(sql)
        try statement.bind(bindings)
        while try statement.step() { try body(statement.row()) }
    }
}

extension SQLiteDestination {
    /// Makes this destination's commits cheaper for the run log: `synchronous=NORMAL`, which in
    /// WAL mode keeps every commit across a crash of the process (kill -9) and may lose the
    /// newest ones only on a power loss. Data and ledger commits go through other connections,
    /// which keep `synchronous=FULL`. https://www.sqlite.org/pragma.html#pragma_synchronous
    /// - Returns: `self`.
    public func forRunRecords() throws -> Self {
        try connection.execute("PRAGMA synchronous=NORMAL")
        return self
    }

    /// Drops `table` and deletes its ledger entries, in one transaction (`backfill --rebuild`).
    /// Its run history stays.
    /// - Throws: ``SQLiteError``.
    public func dropTable(_ table: String) throws {
        try prepareCatalog()
        try connection.transaction {
            try connection.execute("DROP TABLE IF EXISTS main.\(Identifier.quoted(table))")
            try connection.prepare("DELETE FROM _loadkit_ledger WHERE table_name = ?").execute([.text(table)])
        }
        verifiedTables.remove(table)
    }
}
