import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Turns `warehouse` into one written before fingerprint versions: every ledger entry of
/// `table` gets the v1 fingerprint of its rows, and `_loadkit_ledger` loses its
/// `fingerprint_version` column, as an older loadkit left it.
func downgradeLedgerToV1(_ warehouse: String, table: TargetTable) throws {
    let destination = try SQLiteDestination(path: warehouse)
    let update = try destination.connection.prepare("UPDATE _loadkit_ledger SET fingerprint = ? WHERE table_name = ? AND load_id = ?")
    for entry in try destination.ledger(table: table.name) {
        let v1 = table.writeMode == .append
            ? try destination.fingerprint(table: table.name, loadID: entry.loadID, partitionColumn: nil, partition: nil,
                                          version: .v1)
            : try destination.fingerprint(table: table.name, partitionColumn: table.partitioning?.column,
                                          partition: entry.partitionKey, version: .v1)
        try update.execute([.text(v1.hex), .text(table.name), .text(entry.loadID)])
    }
    try destination.connection.execute("ALTER TABLE _loadkit_ledger DROP COLUMN fingerprint_version")
}

@Suite struct FingerprintVersionTests {
    private static func versions(_ warehouse: String) throws -> [String] {
        try SQLiteConnection(path: warehouse, mode: .readOnly)
            .query("SELECT ifnull(fingerprint_version, 'NULL') FROM _loadkit_ledger ORDER BY load_id").map { $0[0].textValue ?? "?" }
    }

    @Test("A new ledger entry records fingerprint_version v2 beside its 32-hex fingerprint")
    func recordsVersion() throws {
        let f = try EventsFixture()
        let table = try f.table(.replace)
        let result = try f.load(table, try f.csv("d5.csv", EventsFixture.day(5, count: 4, firstID: 1)), partition: "2024-01-05")
        #expect(result.entries.map(\.fingerprint.version) == [.v2])
        #expect(try Self.versions(f.warehouse) == ["v2"])
        let entry = try #require(try SQLiteDestination(path: f.warehouse).ledger(table: "events").first)
        #expect(entry.fingerprint == (try f.tableFingerprint(table)))
        #expect(entry.fingerprint.hex.count == 32)
    }

    @Test("Entries of a warehouse from before fingerprint versions read as v1, through a read-only connection and after the column is added")
    func oldEntriesAreV1() throws {
        let f = try EventsFixture()
        let table = try f.table(.replace)
        _ = try f.load(table, try f.csv("d5.csv", EventsFixture.day(5, count: 4, firstID: 1)), partition: "2024-01-05")
        try downgradeLedgerToV1(f.warehouse, table: table)
        let readOnly = try #require(try SQLiteDestination(readingOnly: f.warehouse).ledger(table: "events").first)
        #expect(readOnly.fingerprint.version == .v1)
        let v1 = try SQLiteDestination(readingOnly: f.warehouse)
            .fingerprint(table: "events", partitionColumn: "event_date", partition: "2024-01-05", version: .v1)
        #expect(readOnly.fingerprint == v1)
        // The first write adds the column (NULL in the old entry), which still reads as v1.
        let writable = try SQLiteDestination(path: f.warehouse)
        try writable.prepareCatalog()
        #expect(try Self.versions(f.warehouse) == ["NULL"])
        #expect(try writable.ledger(table: "events").first?.fingerprint == v1)
        // Reloading writes v2.
        _ = try f.load(table, f.dir.path("d5.csv"), partition: "2024-01-05")
        #expect(try Self.versions(f.warehouse) == ["v2"])
        #expect(try writable.ledger(table: "events").first?.fingerprint == (try f.tableFingerprint(table)))
    }

    @Test("An append already loaded under v1 is compared like with like: the same content is already loaded, changed content replaces it in v2")
    func appendAlreadyLoadedUnderV1() throws {
        let f = try EventsFixture()
        let table = try f.table(.append)
        let path = try f.csv("d5.csv", EventsFixture.day(5, count: 4, firstID: 1))
        _ = try f.load(table, path, partition: "2024-01-05")
        try downgradeLedgerToV1(f.warehouse, table: table)
        let ledgerBefore = try f.rawLedger()

        let again = try f.load(table, path, partition: "2024-01-05")
        #expect(again.status == .alreadyLoaded)
        #expect(again.entries.map(\.fingerprint.version) == [.v1])
        #expect(try f.count("SELECT count(*) FROM events") == 4)
        #expect(try f.rawLedger() == ledgerBefore)

        try f.csv("d5.csv", EventsFixture.day(5, count: 3, firstID: 1, offset: 0.5))
        let changed = try f.load(table, path, partition: "2024-01-05")
        #expect(changed.status == .loaded)
        #expect(changed.entries.map(\.fingerprint.version) == [.v2])
        #expect(try f.count("SELECT count(*) FROM events") == 3)
        #expect(try Self.versions(f.warehouse) == ["v2"])
    }
}
