import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// The checks the writer tests rely on catch what they claim to catch.
@Suite struct LedgerCheckTests {
    private func loaded(_ mode: WriteMode = .replace) throws -> (EventsFixture, TargetTable) {
        let f = try EventsFixture()
        let table = try f.table(mode)
        _ = try f.load(table, try f.csv("d.csv", EventsFixture.day(5, count: 4, firstID: 1) + EventsFixture.day(6, count: 2, firstID: 9)))
        try expectLedgerMatchesData(f.warehouse, table)
        return (f, table)
    }

    @Test("A ledger fingerprint that is not the stored rows' is reported")
    func tamperedFingerprint() throws {
        let (f, table) = try loaded()
        try f.db().execute("UPDATE _loadkit_ledger SET fingerprint = '00000000000000000000000000000001' WHERE partition_key = '2024-01-06'")
        withKnownIssue { try expectLedgerMatchesData(f.warehouse, table) }
    }

    @Test("Stored rows beyond what the ledger counts (a duplicated row) are reported")
    func duplicatedRow() throws {
        let (f, table) = try loaded()
        try f.db().execute("INSERT INTO events SELECT * FROM events WHERE id = 1")
        withKnownIssue { try expectLedgerMatchesData(f.warehouse, table) }
    }

    @Test("A stored partition without a ledger entry is reported")
    func missingEntry() throws {
        let (f, table) = try loaded()
        try f.db().execute("DELETE FROM _loadkit_ledger WHERE partition_key = '2024-01-05'")
        withKnownIssue { try expectLedgerMatchesData(f.warehouse, table) }
    }

    @Test("Append rows of a load id without a ledger entry are reported")
    func appendWithoutEntry() throws {
        let (f, table) = try loaded(.append)
        try f.db().execute("UPDATE events SET _loadkit_load_id = 'lk1_other' WHERE id = 9")
        withKnownIssue { try expectLedgerMatchesData(f.warehouse, table) }
    }

    @Test("A staging table left in the warehouse or a staging file in the staging folder is found")
    func leftovers() throws {
        let (f, _) = try loaded()
        #expect(try stagingLeftovers(f.warehouse) == [])
        try f.db().execute("CREATE TABLE _loadkit_stg_0123(x)")
        try FileManager.default.createDirectory(atPath: f.warehouse + ".loadkit-staging", withIntermediateDirectories: true)
        try f.dir.write("warehouse.db.loadkit-staging/_loadkit_stg_4567.db", "")
        #expect(try stagingLeftovers(f.warehouse) == ["_loadkit_stg_0123", "_loadkit_stg_4567.db"])
    }
}
