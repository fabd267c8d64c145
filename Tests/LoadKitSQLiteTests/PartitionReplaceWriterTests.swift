import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

@Suite struct PartitionReplaceWriterTests {
    @Test("A static replace loads one partition and writes its ledger row")
    func staticLoad() throws {
        let f = try EventsFixture()
        let table = try f.table()
        let path = try f.csv("d1.csv", [(1, "2024-01-05T12:00:00Z", 1.5), (2, "2024-01-06T04:59:59Z", 2)])
        let result = try f.load(table, path, partition: "2024-01-05")
        #expect(result.status == .loaded)
        #expect(result.rowsRead == 2)
        #expect(result.entries.map(\.partitionKey) == ["2024-01-05"])
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-05'") == 2)
        let ledger = try SQLiteDestination(path: f.warehouse).ledger(table: "events")
        #expect(ledger.count == 1)
        let stored = try SQLiteDestination(path: f.warehouse).fingerprint(table: table, partition: "2024-01-05")
        #expect(ledger.first?.fingerprint == stored)
        #expect(stored.rows == 2)
    }
}
