import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A small events table for writer tests: partitioned by the local day of `ts` in New York.
struct EventsFixture {
    let dir: TemporaryDirectory
    /// The SQLite warehouse file (of a fixture on SQLite).
    let warehouse: String
    /// The warehouse the loader writes to.
    let store: TestWarehouse

    /// A fixture whose loads go to a fresh warehouse on `destination`.
    init(on destination: TestDestination = .sqlite) throws {
        dir = try TemporaryDirectory()
        warehouse = dir.path("warehouse.db")
        store = try TestWarehouse(destination, in: dir)
    }

    static let schema = try! TableSchema([Column("id", .integer), Column("ts", .timestamp), Column("v", .real)])
    static let newYork = TimeZone(identifier: "America/New_York")!

    func table(_ mode: WriteMode = .replace, granularity: Granularity = .day, name: String = "events",
               outsideRows: TargetTable.OutsideRows = .error, allowEmpty: Bool = false) throws -> TargetTable {
        try TargetTable(name: name, schema: Self.schema,
                        partitioning: .init(column: "event_date", scheme: PartitionScheme(granularity: granularity, timeZone: Self.newYork), sourceColumn: "ts"),
                        writeMode: mode, outsideRows: outsideRows, allowEmpty: allowEmpty)
    }

    /// Writes a CSV with a header and `rows` (id, ts, v) and returns its path.
    @discardableResult
    func csv(_ name: String, _ rows: [(Int, String, Double)]) throws -> String {
        try dir.write(name, "id,ts,v\n" + rows.map { "\($0.0),\($0.1),\($0.2)\n" }.joined())
    }

    func input(_ path: String) -> LoadRequest.Input {
        .file(path: path, format: .csv, options: SourceOptions(timeZone: Self.newYork),
              identity: URL(fileURLWithPath: path).lastPathComponent, displayName: URL(fileURLWithPath: path).lastPathComponent)
    }

    func loader() throws -> Loader { Loader(destination: try store.open()) }

    func load(_ table: TargetTable, _ path: String, partition: String? = nil) throws -> LoadResult {
        let scope: LoadRequest.Scope = try partition.map { .partition(try table.partitioning!.scheme.partition(forKey: $0)) } ?? .dynamic
        return try loader().load(LoadRequest(table: table, input: input(path), scope: scope))
    }

    func db() throws -> SQLiteConnection { try SQLiteConnection(path: warehouse) }

    func count(_ sql: String) throws -> Int64 {
        guard case .integer(let n)? = try db().scalar(sql) else { return -1 }
        return n
    }
}

extension EventsFixture {
    /// `count` rows over the New York day `2024-01-DD` (EST, so `[DD 05:00Z, DD+1 05:00Z)`),
    /// its first and last second included.
    static func day(_ day: Int, count: Int, firstID: Int, offset: Double = 0) -> [EventRow] {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let start = UTCText.seconds("2024-01-\(two(day))T05:00:00Z")
        return eventRows(from: start, to: start + 86_400, count: count, firstID: firstID, offset: offset)
    }

    /// The stored rows of a replace table for rows of one partition.
    static func stored(_ rows: [EventRow], key: String) -> [[Value]] {
        rows.map { storedEvent($0, key: key) }
    }

    /// The whole `_loadkit_ledger` of `events` as stored, run ids and times included.
    func rawLedger() throws -> [[Value]] { try LoadKitSQLiteTests.rawLedger(warehouse, table: "events") }

    /// The fingerprint of every stored row, computed from the rows read back.
    func tableFingerprint(_ table: TargetTable) throws -> Fingerprint {
        try LoadKitSQLiteTests.tableFingerprint(warehouse, table)
    }
}
