import Foundation
import LoadKit

/// A SQLite warehouse as a loadkit ``Destination``.
///
/// The target tables and loadkit's `_loadkit_` tables live in the warehouse file; staging
/// tables live in their own files in the folder `<warehouse>.loadkit-staging/`, one per load id,
/// named `_loadkit_stg_<32 hex>.db` after the table they hold. The final swap of a load is one
/// `BEGIN IMMEDIATE` transaction on the warehouse that deletes the covered rows, inserts the
/// staged rows from the attached staging file, and upserts the ledger
/// (https://www.sqlite.org/lang_attach.html, https://www.sqlite.org/lang_transaction.html).
///
/// Use one destination from one thread at a time; open one per worker.
public final class SQLiteDestination: Destination, StagingFingerprinting {
    /// The warehouse file.
    public let path: String
    /// The folder of staging files.
    public let stagingDirectory: String
    /// The connection to the warehouse.
    public let connection: SQLiteConnection
    private var catalogReady = false
    private let host = ProcessInfo.processInfo.hostName
    private let pid = Int64(getpid())

    /// Opens (creating if absent) a warehouse.
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - busyTimeout: how long a statement waits for another connection's write lock.
    /// - Throws: ``SQLiteError`` when the file cannot be opened.
    public init(path: String, busyTimeout: Duration = .seconds(60)) throws {
        self.path = path
        self.stagingDirectory = path + ".loadkit-staging"
        self.connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
    }

    public func prepareCatalog() throws {
        if catalogReady { return }
        try connection.transaction { try connection.execute(SQLiteCatalog.ddl) }
        catalogReady = true
    }

    // MARK: - Target tables

    public func ensureTable(_ table: TargetTable) throws {
        let wanted = table.storedColumns
        try connection.transaction {
            let existing = try columns(of: table.name)
            if existing.isEmpty {
                try connection.execute("CREATE TABLE \(Identifier.quoted(table.name)) ("
                    + wanted.map { "\(Identifier.quoted($0.name)) \($0.sqlType)" }.joined(separator: ", ") + ")")
                var indexed: [String] = []
                if let partitioning = table.partitioning { indexed.append(partitioning.column) }
                if table.writeMode == .append { indexed.append(TargetTable.loadIDColumn) }
                for column in indexed {
                    try connection.execute("CREATE INDEX \(Identifier.quoted(Self.indexName(table.name, column))) "
                        + "ON \(Identifier.quoted(table.name)) (\(Identifier.quoted(column)))")
                }
            } else if existing != wanted {
                func show(_ columns: [TargetTable.StoredColumn]) -> String {
                    columns.map { "\($0.name) \($0.sqlType)" }.joined(separator: ", ")
                }
                throw LoadKitError(.schemaMismatch,
                    "table '\(table.name)' exists with columns (\(show(existing))) but the config declares "
                    + "(\(show(wanted))); loadkit never alters a table: migrate or drop it, or fix the config")
            }
        }
    }

    private func columns(of table: String) throws -> [TargetTable.StoredColumn] {
        try connection.query("SELECT name, type FROM pragma_table_info(?)", [.text(table)]).map {
            guard case .text(let name) = $0[0], case .text(let type) = $0[1] else {
                return TargetTable.StoredColumn(name: "?", sqlType: "?")
            }
            return TargetTable.StoredColumn(name: name, sqlType: type)
        }
    }

    /// `_loadkit_ix_` and 24 hex digits of the SHA-256 of table and column: short and unique.
    static func indexName(_ table: String, _ column: String) -> String {
        "_loadkit_ix_" + HashingByteSource.sha256Hex(Array("\(table)\u{0}\(column)".utf8)).prefix(24)
    }

    // MARK: - Locks

    public func acquireLock(_ key: String, runID: String, timeout: Duration) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let holder: [Value]? = try connection.transaction {
                let rows = try connection.query(
                    "SELECT run_id, pid, host, acquired_at FROM _loadkit_locks WHERE lock_key = ?", [.text(key)])
                if let row = rows.first, isLive(row) { return row }
                try connection.prepare("INSERT OR REPLACE INTO _loadkit_locks(lock_key, run_id, pid, host, acquired_at) "
                    + "VALUES (?, ?, ?, ?, ?)").execute([.text(key), .text(runID), .integer(pid), .text(host),
                                                         .text(CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970)))])
                return nil
            }
            guard let holder else { return }
            if clock.now >= deadline {
                throw LoadKitError(.locked,
                    "load \(key) is locked by run \(holder[0].plain) (pid \(holder[1].plain) on \(holder[2].plain), "
                    + "since \(holder[3].plain)); gave up after waiting \(timeout.formattedSeconds)",
                    isTransient: true)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Whether a lock row's holder may still be running: another host, or a live pid here.
    private func isLive(_ row: [Value]) -> Bool {
        guard case .integer(let holderPid) = row[1], case .text(let holderHost) = row[2] else { return false }
        guard holderHost == host else { return true }
        return kill(pid_t(holderPid), 0) == 0 || errno == EPERM
    }

    public func releaseLock(_ key: String, runID: String) throws {
        try connection.prepare("DELETE FROM _loadkit_locks WHERE lock_key = ? AND run_id = ?")
            .execute([.text(key), .text(runID)])
    }

    // MARK: - Staging

    private func stagingPath(_ name: String) -> String { "\(stagingDirectory)/\(name).db" }

    public func createStaging(_ name: String, for table: TargetTable) throws -> any StagingWriter {
        try FileManager.default.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: true)
        return try SQLiteStagingWriter(name: name, path: stagingPath(name), table: table)
    }

    public func dropStaging(_ name: String) throws {
        SQLiteStagingWriter.removeFiles(at: stagingPath(name))
    }

    public func stagingTables() throws -> [(name: String, inUse: Bool)] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: stagingDirectory) else { return [] }
        try prepareCatalog()
        return try files.filter { $0.hasPrefix(LoadID.stagingPrefix) && $0.hasSuffix(".db") }.sorted().map { file in
            let name = String(file.dropLast(3))
            let loadID = "lk1_" + name.dropFirst(LoadID.stagingPrefix.count)
            let rows = try connection.query("SELECT run_id, pid, host FROM _loadkit_locks WHERE lock_key = ?", [.text(loadID)])
            return (name, rows.first.map(isLive) ?? false)
        }
    }

    public func fingerprints(ofStaging name: String, table: TargetTable) throws -> [String?: Fingerprint] {
        let staging = try SQLiteConnection(path: stagingPath(name), mode: .readOnly, walJournal: false)
        let keyIndex = table.partitioning.flatMap { p in table.storedColumns.firstIndex { $0.name == p.column } }
        var result: [String?: Fingerprint] = [:]
        try Self.scan(staging, "SELECT * FROM \(Identifier.quoted(name))", []) { row in
            var key: String?
            if let keyIndex, case .text(let k) = row[keyIndex] { key = k }
            result[key, default: Fingerprint()].add(row)
        }
        return result
    }

    // MARK: - Commit

    public func commit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws {
        let table = Identifier.quoted(plan.table.name)
        let columns = plan.table.storedColumns.map { Identifier.quoted($0.name) }.joined(separator: ", ")
        try connection.prepare("ATTACH DATABASE ? AS loadkit_staging").execute([.text(stagingPath(plan.stagingName))])
        defer { try? connection.execute("DETACH DATABASE loadkit_staging") }
        try connection.transaction {
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
                + "FROM loadkit_staging.\(Identifier.quoted(plan.stagingName))")
            let upsert = try connection.prepare(SQLiteCatalog.upsertLedger)
            for entry in plan.ledger {
                try upsert.execute([
                    .text(entry.table), entry.partitionKey.map(Value.text) ?? .null, .text(entry.loadID),
                    .text(entry.writeMode.rawValue), .integer(Int64(entry.fingerprint.rows)),
                    .text(entry.fingerprint.hex), .text(entry.sourceFingerprint), .text(entry.runID),
                    .text(entry.loadedAt),
                ])
            }
            try beforeCommit()
        }
    }

    // MARK: - Reading

    public func ledgerEntry(table: String, loadID: String) throws -> LedgerEntry? {
        try prepareCatalog()
        return try connection.query(SQLiteCatalog.selectLedger + " WHERE table_name = ? AND load_id = ?",
                                    [.text(table), .text(loadID)]).first.flatMap(Self.ledgerEntry)
    }

    public func ledger(table: String) throws -> [LedgerEntry] {
        try prepareCatalog()
        return try connection.query(SQLiteCatalog.selectLedger
            + " WHERE table_name = ? ORDER BY partition_key, load_id", [.text(table)]).compactMap(Self.ledgerEntry)
    }

    private static func ledgerEntry(_ row: [Value]) -> LedgerEntry? {
        guard case .text(let table) = row[0], case .text(let loadID) = row[2], case .text(let mode) = row[3],
              let writeMode = WriteMode(rawValue: mode), case .integer(let rows) = row[4],
              case .text(let hex) = row[5], let fingerprint = Fingerprint(hex: hex, rows: Int(rows)),
              case .text(let source) = row[6], case .text(let runID) = row[7], case .text(let at) = row[8] else {
            return nil
        }
        let key: String? = if case .text(let k) = row[1] { k } else { nil }
        return LedgerEntry(table: table, partitionKey: key, loadID: loadID, writeMode: writeMode,
                           fingerprint: fingerprint, sourceFingerprint: source, runID: runID, loadedAt: at)
    }

    public func fingerprint(table: String, partitionColumn: String?, partition: String?) throws -> Fingerprint {
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
        var fingerprint = Fingerprint()
        try Self.scan(connection, sql, bindings) { fingerprint.add($0) }
        return fingerprint
    }

    public func query(_ sql: String, partitionKey: String?,
                      columns: ([(name: String, type: ColumnType?)]) throws -> Void,
                      row: ([Value]) throws -> Void) throws {
        let statement = try connection.prepare(sql)
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

extension Value {
    /// The value without quotes, for messages.
    var plain: String {
        switch self {
        case .null: return "NULL"
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .text(let v): return v
        }
    }
}

extension Duration {
    /// `60 s`, `0.5 s`.
    var formattedSeconds: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
