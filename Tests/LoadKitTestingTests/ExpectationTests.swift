import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A writer broken on purpose: its commit never removes what it replaces, so a rerun inserts
/// every row a second time (the classic DELETE-less INSERT script).
final class DoubleInsertDestination: Destination {
    let base: SQLiteDestination
    init(_ base: SQLiteDestination) { self.base = base }
    func prepareCatalog() throws { try base.prepareCatalog() }
    func ensureTable(_ table: TargetTable) throws { try base.ensureTable(table) }
    func existingColumns(of table: String) throws -> [TargetTable.StoredColumn] { try base.existingColumns(of: table) }
    func acquireLock(_ key: String, runID: String, timeout: Duration) throws { try base.acquireLock(key, runID: runID, timeout: timeout) }
    func releaseLock(_ key: String, runID: String) throws { try base.releaseLock(key, runID: runID) }
    func interrupt() { base.interrupt() }
    func createStaging(_ name: String, for table: TargetTable) throws -> any StagingWriter { try base.createStaging(name, for: table) }
    func dropStaging(_ name: String) throws { try base.dropStaging(name) }
    func stagingTables() throws -> [(name: String, inUse: Bool)] { try base.stagingTables() }
    func commit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws {
        var plan = plan
        plan.scope = .nothing
        try base.commit(plan, beforeCommit: beforeCommit)
    }
    func transaction<T>(_ body: () throws -> T) throws -> T { try base.transaction(body) }
    func recordedPartitionings(table: String) throws -> [String?] { try base.recordedPartitionings(table: table) }
    func ledgerEntry(table: String, loadID: String) throws -> LedgerEntry? { try base.ledgerEntry(table: table, loadID: loadID) }
    func ledger(table: String) throws -> [LedgerEntry] { try base.ledger(table: table) }
    func fingerprint(table: String, partitionColumn: String?, partition: String?) throws -> Fingerprint {
        try base.fingerprint(table: table, partitionColumn: partitionColumn, partition: partition)
    }
    func query(_ sql: String, partitionKey: String?, columns: ([(name: String, type: ColumnType?)]) throws -> Void,
               row: ([Value]) throws -> Void) throws {
        try base.query(sql, partitionKey: partitionKey, columns: columns, row: row)
    }
}

struct Events {
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let schema = try! TableSchema([Column("id", .integer), Column("ts", .timestamp), Column("v", .real)])

    static func table(_ mode: WriteMode = .replace, partitioned: Bool = true) throws -> TargetTable {
        try TargetTable(name: "events", schema: schema,
                        partitioning: partitioned ? .init(column: "event_date",
                                                          scheme: PartitionScheme(granularity: .day, timeZone: newYork),
                                                          sourceColumn: "ts") : nil,
                        writeMode: mode)
    }

    /// Three days of rows, written as one CSV file.
    static func write(_ warehouse: TemporaryWarehouse, name: String = "events.csv", days: [Int] = [5, 6, 7], value: Double = 1) throws -> String {
        var text = "id,ts,v\n"
        for (i, day) in days.enumerated() {
            for hour in [12, 13] { text += "\(i * 10 + hour),2024-01-0\(day)T\(hour):00:00Z,\(value)\n" }
        }
        return try warehouse.directory.write(name, text)
    }

    static func request(_ table: TargetTable, _ path: String, partition: String? = nil) throws -> LoadRequest {
        let scope: LoadRequest.Scope = try partition.map { .partition(try table.partitioning!.scheme.partition(forKey: $0)) }
            ?? (table.partitioning == nil ? .wholeTable : .dynamic)
        return LoadRequest(table: table, input: .file(path: path, format: .csv, options: SourceOptions(timeZone: newYork),
                                                      identity: "events.csv", displayName: "events.csv"), scope: scope)
    }
}

@Suite struct ExpectationTests {
    @Test("expectIdempotent passes for every writer", arguments: [
        (WriteMode.replace, true, "2024-01-06"), (.replace, true, nil), (.append, true, "2024-01-06"),
        (.append, true, nil), (.replace, false, nil),
    ] as [(WriteMode, Bool, String?)])
    func idempotentWriters(mode: WriteMode, partitioned: Bool, partition: String?) throws {
        let warehouse = try TemporaryWarehouse()
        let table = try Events.table(mode, partitioned: partitioned)
        let path = try Events.write(warehouse, days: partition == nil ? [5, 6, 7] : [6])
        try expectIdempotent(table, in: warehouse) {
            _ = try warehouse.loader().load(try Events.request(table, path, partition: partition))
        }
        let rows = try warehouse.destination().fingerprint(table: table, partition: nil).rows
        #expect(rows == (partition == nil ? 6 : 2))
    }

    @Test("expectIdempotent fails on a writer that inserts twice, listing the duplicated rows")
    func idempotentCatchesDoubleInsert() throws {
        let warehouse = try TemporaryWarehouse()
        let table = try Events.table()
        let path = try Events.write(warehouse, days: [6])
        try withKnownIssue {
            try expectIdempotent(table, in: warehouse) {
                _ = try Loader(destination: DoubleInsertDestination(try warehouse.destination()))
                    .load(try Events.request(table, path, partition: "2024-01-06"))
            }
        } matching: { issue in
            let text = issue.comments.map(\.rawValue).joined()
            return text.hasPrefix("not idempotent: running the load again changed table 'events'\n2 rows only after:\n")
                && text.contains("  (13, '2024-01-06T13:00:00Z', 1.0, '2024-01-06')\n")
                && text.contains("partition 2024-01-06: 8a3fb6e10c119383506f75eff8f5a539 (2 rows) → 147f6dc218232706a0deebdff1eb4a72 (4 rows)")
        }
    }

    @Test("expectScoped passes for a partition replace and names the partitions a broken load touched")
    func scoped() throws {
        let warehouse = try TemporaryWarehouse()
        let table = try Events.table()
        _ = try warehouse.loader().load(try Events.request(table, try Events.write(warehouse)))
        let changed = try Events.write(warehouse, name: "day6.csv", days: [6], value: 2)
        try expectScoped(table, in: warehouse, to: ["2024-01-06"]) {
            _ = try warehouse.loader().load(try Events.request(table, changed, partition: "2024-01-06"))
        }
        try withKnownIssue {
            try expectScoped(table, in: warehouse, to: ["2024-01-06"]) {
                try warehouse.destination().connection.execute("UPDATE events SET v = 9 WHERE event_date = '2024-01-07'")
            }
        } matching: { issue in
            let text = issue.comments.map(\.rawValue).joined()
            return text.hasPrefix("not scoped: partitions outside [\"2024-01-06\"] changed: 2024-01-07\n2 rows only before:\n")
                && text.contains("2 rows only after:\n  (32, '2024-01-07T12:00:00Z', 9.0, '2024-01-07')")
        }
    }
}
