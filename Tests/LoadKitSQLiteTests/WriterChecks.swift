import Foundation
import LoadKit
@testable import LoadKitSQLite
import LoadKitTesting
import Testing

/// One row of the events table as the tests write it: id, ts (UTC, with Z), v.
typealias EventRow = (Int, String, Double)

/// Staging tables left behind: files named `_loadkit_stg_…` in the staging folder
/// `<warehouse>.loadkit-staging/` (where earlier versions kept them), and tables named
/// `_loadkit_stg_…` in the warehouse itself. None may remain once a load has finished or been
/// rerun. (Lock files are not staging tables.)
func stagingLeftovers(_ warehouse: String) throws -> [String] {
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: warehouse + ".loadkit-staging")) ?? [])
        .filter { $0.hasPrefix(LoadID.stagingPrefix) }
    guard FileManager.default.fileExists(atPath: warehouse) else { return files.sorted() }
    let tables = try SQLiteConnection(path: warehouse)
        .query("SELECT name FROM sqlite_master WHERE substr(name, 1, 13) = ?", [.text(LoadID.stagingPrefix)])
        .compactMap { row -> String? in if case .text(let name) = row[0] { return name } else { return nil } }
    return (files + tables).sorted()
}

/// A `_loadkit_ledger` row without what differs from run to run (run id, commit time).
struct LedgerRow: Hashable, CustomStringConvertible {
    var partitionKey: String?
    var loadID: String
    var writeMode: String
    var rows: Int64
    var fingerprint: String
    var sourceFingerprint: String

    init(key: String?, loadID: String, mode: WriteMode, fingerprint: Fingerprint, source: String) {
        partitionKey = key
        self.loadID = loadID
        writeMode = mode.rawValue
        rows = Int64(fingerprint.rows)
        self.fingerprint = fingerprint.hex
        sourceFingerprint = source
    }

    init(key: String?, loadID: String, writeMode: String, rows: Int64, fingerprint: String, source: String) {
        partitionKey = key
        self.loadID = loadID
        self.writeMode = writeMode
        self.rows = rows
        self.fingerprint = fingerprint
        sourceFingerprint = source
    }

    var description: String {
        "(\(partitionKey ?? "NULL"), \(loadID), \(writeMode), \(rows) rows, \(fingerprint), source \(sourceFingerprint.prefix(12)))"
    }
}

/// The ledger as stored, read with plain SQL: full rows (run id and time included) in a stable
/// order, so "unchanged" can be checked exactly.
func rawLedger(_ warehouse: String, table: String) throws -> [[Value]] {
    let db = try SQLiteConnection(path: warehouse)
    guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_ledger'") == .integer(1) else {
        return []
    }
    return try db.query("""
        SELECT partition_key, load_id, write_mode, rows, fingerprint, source_fingerprint, run_id, loaded_at
        FROM _loadkit_ledger WHERE table_name = ? ORDER BY partition_key, load_id
        """, [.text(table)])
}

/// The ledger of `table` without run ids and times.
func ledgerRows(_ warehouse: String, table: String) throws -> Set<LedgerRow> {
    Set(try rawLedger(warehouse, table: table).map { row in
        guard case .text(let id) = row[1], case .text(let mode) = row[2], case .integer(let rows) = row[3],
              case .text(let fingerprint) = row[4], case .text(let source) = row[5] else {
            return LedgerRow(key: "malformed ledger row \(row)", loadID: "", writeMode: "", rows: -1,
                             fingerprint: "", source: "")
        }
        let key: String? = if case .text(let k) = row[0] { k } else { nil }
        return LedgerRow(key: key, loadID: id, writeMode: mode, rows: rows, fingerprint: fingerprint, source: source)
    })
}

/// The fingerprint of `table`'s stored rows (all its stored columns, in order) where `column`
/// equals `value`, or of all rows; computed here from the rows read back.
func storedFingerprint(_ warehouse: String, _ table: TargetTable, where column: String? = nil,
                       equals value: String? = nil) throws -> Fingerprint {
    let db = try SQLiteConnection(path: warehouse)
    let columns = table.storedColumns.map { Identifier.quoted($0.name) }.joined(separator: ", ")
    var sql = "SELECT \(columns) FROM \(Identifier.quoted(table.name))"
    var bindings: [Value] = []
    if let column, let value {
        sql += " WHERE \(Identifier.quoted(column)) = ?"
        bindings = [.text(value)]
    }
    var fingerprint = Fingerprint()
    for row in try db.query(sql, bindings) { fingerprint.add(row) }
    return fingerprint
}

/// Whether the warehouse holds a table named `name`.
func tableExists(_ warehouse: String, _ name: String) throws -> Bool {
    try SQLiteConnection(path: warehouse).scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                                                 [.text(name)]) == .integer(1)
}

/// The fingerprint of the whole table, or of no rows when it does not exist yet.
func tableFingerprint(_ warehouse: String, _ table: TargetTable) throws -> Fingerprint {
    try tableExists(warehouse, table.name) ? try storedFingerprint(warehouse, table) : Fingerprint()
}

/// Checks that the ledger describes the data: every entry's fingerprint and row count are those
/// of the stored rows it covers (its partition for a replace, its load id's rows for an append,
/// the whole table for an unpartitioned replace), and every stored partition (or load id) has
/// exactly one entry.
func expectLedgerMatchesData(_ warehouse: String, _ table: TargetTable,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    let ledger = try ledgerRows(warehouse, table: table.name)
    let db = try SQLiteConnection(path: warehouse)
    let quoted = Identifier.quoted(table.name)
    for entry in ledger {
        let stored: Fingerprint
        switch (table.writeMode, table.partitioning) {
        case (.append, _):
            stored = try storedFingerprint(warehouse, table, where: TargetTable.loadIDColumn, equals: entry.loadID)
        case (.replace, let partitioning?):
            guard let key = entry.partitionKey else {
                Issue.record("replace ledger entry without a partition key: \(entry)", sourceLocation: sourceLocation)
                continue
            }
            stored = try storedFingerprint(warehouse, table, where: partitioning.column, equals: key)
        case (.replace, nil):
            #expect(entry.partitionKey == nil, sourceLocation: sourceLocation)
            stored = try storedFingerprint(warehouse, table)
        }
        #expect(entry.fingerprint == stored.hex && entry.rows == Int64(stored.rows),
                "ledger \(entry) but the stored rows are \(stored)", sourceLocation: sourceLocation)
    }
    let covered: [Value]
    let described: [String?]
    switch (table.writeMode, table.partitioning) {
    case (.append, _):
        covered = try db.query("SELECT DISTINCT \(Identifier.quoted(TargetTable.loadIDColumn)) FROM \(quoted)").map { $0[0] }
        described = ledger.map(\.loadID)
    case (.replace, let partitioning?):
        covered = try db.query("SELECT DISTINCT \(Identifier.quoted(partitioning.column)) FROM \(quoted)").map { $0[0] }
        described = ledger.map(\.partitionKey)
    case (.replace, nil):
        covered = try db.scalar("SELECT count(*) FROM \(quoted)") == .integer(0) ? [] : [.null]
        described = ledger.map(\.partitionKey)
    }
    #expect(Set(described).count == described.count, "two ledger entries for one partition or load id: \(ledger)",
            sourceLocation: sourceLocation)
    for value in covered {
        let key: String? = if case .text(let k) = value { k } else { nil }
        #expect(described.contains(key), "stored rows of \(key ?? "NULL") have no ledger entry; ledger: \(ledger)",
                sourceLocation: sourceLocation)
    }
}

/// The stored form of an events row: the declared columns, then the partition key, then the
/// load id for an append table.
func storedEvent(_ row: EventRow, key: String?, loadID: String? = nil) -> [Value] {
    var values: [Value] = [.integer(Int64(row.0)), .text(row.1), .real(row.2)]
    if let key { values.append(.text(key)) }
    if let loadID { values.append(.text(loadID)) }
    return values
}

/// The fingerprint of the given stored rows, computed here.
func fingerprint(of rows: [[Value]]) -> Fingerprint {
    var fingerprint = Fingerprint()
    for row in rows { fingerprint.add(row) }
    return fingerprint
}

/// The SHA-256 of a file's bytes, 64 hex digits (the ledger's source fingerprint).
func sha256(ofFile path: String) throws -> String {
    try HashingByteSource.fingerprint(ofFile: path)
}

/// `count` rows spread evenly over `[start, end)` (UTC seconds), the first at `start` and the
/// last at `end - 1`; ids from `firstID`, values `id / 4 + offset`.
func eventRows(from start: Int64, to end: Int64, count: Int, firstID: Int, offset: Double) -> [EventRow] {
    (0..<count).map { i in
        let t = count == 1 ? start : start + Int64(i) * (end - 1 - start) / Int64(count - 1)
        let id = firstID + i
        return (id, UTCText.format(t), Double(id) / 4 + offset)
    }
}

/// The CSV text (header `id,ts,v`) of events rows.
func eventsCSV(_ rows: [EventRow]) -> String {
    "id,ts,v\n" + rows.map { "\($0.0),\($0.1),\($0.2)\n" }.joined()
}

/// The same checks on a warehouse of either destination (``TestWarehouse``): on SQLite they are
/// the functions above (rows read back with plain SQL and fingerprinted here); on PostgreSQL the
/// stored rows are fingerprinted by the destination (whose fingerprints equal SQLite's, see
/// PostgresWarehouseTests) and the rest is read with plain SQL.
extension TestWarehouse {
    /// The fingerprint of `table`'s stored rows where `column` (the partition column or the
    /// load id column) equals `value`, or of all rows.
    func storedFingerprint(_ table: TargetTable, where column: String? = nil, equals value: String? = nil) throws -> Fingerprint {
        if destination == .sqlite { return try LoadKitSQLiteTests.storedFingerprint(location, table, where: column, equals: value) }
        let db = try open()
        if let column, let value, column == TargetTable.loadIDColumn {
            return try db.fingerprint(table: table.name, loadID: value, partitionColumn: nil, partition: nil)
        }
        return try db.fingerprint(table: table.name, partitionColumn: column, partition: value)
    }

    /// The fingerprint of the whole table, or of no rows when it does not exist yet.
    func tableFingerprint(_ table: TargetTable) throws -> Fingerprint {
        try tableExists(table.name) ? try storedFingerprint(table) : Fingerprint()
    }

    /// `_loadkit_ledger` of `table` as stored, run ids and times included, every value as
    /// text, in a stable order: for checking that nothing changed.
    func rawLedger(table: String) throws -> [[String?]] {
        guard try tableExists("_loadkit_ledger") else { return [] }
        return try query("""
            SELECT partition_key, load_id, write_mode, rows, fingerprint, source_fingerprint, run_id, loaded_at
            FROM _loadkit_ledger WHERE table_name = '\(table)' ORDER BY partition_key, load_id
            """)
    }

    /// The ledger of `table` without run ids and times.
    func ledgerRows(table: String) throws -> Set<LedgerRow> {
        Set(try rawLedger(table: table).map { row in
            LedgerRow(key: row[0], loadID: row[1] ?? "", writeMode: row[2] ?? "", rows: Int64(row[3] ?? "") ?? -1,
                      fingerprint: row[4] ?? "", source: row[5] ?? "")
        })
    }

    /// Staging and build tables left behind (`_loadkit_stg_…`; on PostgreSQL also a swap's
    /// `_loadkit_new_…`, TEMP staging tables vanishing with their session).
    func stagingLeftovers() throws -> [String] {
        if destination == .sqlite { return try LoadKitSQLiteTests.stagingLeftovers(location) }
        return try query("""
            SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
            AND (starts_with(tablename, '\(LoadID.stagingPrefix)') OR starts_with(tablename, '_loadkit_new_')) ORDER BY 1
            """).compactMap { $0[0] }
    }

    /// ``expectLedgerMatchesData(_:_:sourceLocation:)`` on this warehouse.
    func expectLedgerMatchesData(_ table: TargetTable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if destination == .sqlite {
            return try LoadKitSQLiteTests.expectLedgerMatchesData(location, table, sourceLocation: sourceLocation)
        }
        let ledger = try ledgerRows(table: table.name)
        for entry in ledger {
            let stored: Fingerprint
            switch (table.writeMode, table.partitioning) {
            case (.append, _):
                stored = try storedFingerprint(table, where: TargetTable.loadIDColumn, equals: entry.loadID)
            case (.replace, let partitioning?):
                stored = try storedFingerprint(table, where: partitioning.column, equals: entry.partitionKey ?? "")
            case (.replace, nil):
                stored = try storedFingerprint(table)
            }
            #expect(entry.fingerprint == stored.hex && entry.rows == Int64(stored.rows),
                    "ledger \(entry) but the stored rows are \(stored)", sourceLocation: sourceLocation)
        }
        let quoted = Identifier.quoted(table.name)
        let covered: [String?]
        let described: [String?]
        switch (table.writeMode, table.partitioning) {
        case (.append, _):
            covered = try query("SELECT DISTINCT \(Identifier.quoted(TargetTable.loadIDColumn)) FROM \(quoted)").map { $0[0] }
            described = ledger.map(\.loadID)
        case (.replace, let partitioning?):
            covered = try query("SELECT DISTINCT \(Identifier.quoted(partitioning.column)) FROM \(quoted)").map { $0[0] }
            described = ledger.map(\.partitionKey)
        case (.replace, nil):
            covered = try scalar("SELECT count(*) FROM \(quoted)") == "0" ? [] : [nil]
            described = ledger.map(\.partitionKey)
        }
        #expect(Set(described).count == described.count, "two ledger entries for one partition or load id: \(ledger)",
                sourceLocation: sourceLocation)
        for key in covered {
            #expect(described.contains(key), "stored rows of \(key ?? "NULL") have no ledger entry; ledger: \(ledger)",
                    sourceLocation: sourceLocation)
        }
    }
}

extension TestWarehouse {
    /// How many load locks some process holds now: SQLite keys of live holders
    /// (`<warehouse>.loadkit-locks/`), PostgreSQL `_loadkit_leases` rows of a run.
    func heldLoadLocks() throws -> Int {
        switch destination {
        case .sqlite:
            return SQLiteDestination.heldLockKeys(warehouse: location).count
        case .postgres:
            guard try tableExists("_loadkit_leases") else { return 0 }
            return Int(try scalar("SELECT count(*) FROM _loadkit_leases WHERE holder LIKE 'run %'") ?? "") ?? 0
        }
    }
}
