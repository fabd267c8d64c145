import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Rows of another partition in a static replace (`outside_rows: error | skip`).
@Suite struct OutsideRowsTests {
    /// Four rows for 2024-01-05 in New York: the day's last second, then the next day's first
    /// second on line 3, then two more of the 5th.
    static let rows: [EventRow] = [
        (1, "2024-01-06T04:59:59Z", 1),   // 23:59:59 EST on the 5th: inside
        (2, "2024-01-06T05:00:00Z", 2),   // 00:00:00 EST on the 6th: outside, line 3
        (3, "2024-01-05T05:00:00Z", 3),   // 00:00:00 EST on the 5th: inside
        (4, "2024-01-05T17:30:00Z", 4),
    ]

    @Test("A row of the next day fails the static replace, naming its line; nothing changes")
    func outsideIsError() throws {
        let f = try EventsFixture()
        let table = try f.table()
        let old = EventsFixture.day(5, count: 3, firstID: 100)
        _ = try f.load(table, try f.csv("old.csv", old), partition: "2024-01-05")
        let before = try f.tableFingerprint(table)
        let ledgerBefore = try f.rawLedger()

        let path = try f.csv("d.csv", Self.rows)
        let error = try #require(throws: LoadKitError.self) { _ = try f.load(table, path, partition: "2024-01-05") }
        #expect(error.description == "d.csv, line 3, column ts: this row belongs to partition 2024-01-06, not 2024-01-05; "
                + "fix the source or set outside_rows: skip to drop such rows")
        #expect(error.code == .outsidePartition)
        #expect(try f.tableFingerprint(table) == before)
        #expect(try f.rawLedger() == ledgerBefore)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("With outside_rows: skip the row is dropped and counted in rowsSkipped")
    func outsideIsSkipped() throws {
        let f = try EventsFixture()
        let table = try f.table(outsideRows: .skip)
        let path = try f.csv("d.csv", Self.rows)
        let result = try f.load(table, path, partition: "2024-01-05")
        #expect(result.status == .loaded)
        #expect(result.rowsRead == 4)
        #expect(result.rowsSkipped == 1)
        #expect(result.rowsWritten == 3)
        let kept = Self.rows.filter { $0.0 != 2 }
        #expect(try f.tableFingerprint(table) == fingerprint(of: EventsFixture.stored(kept, key: "2024-01-05")))
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-06'") == 0)
        #expect(try ledgerRows(f.warehouse, table: "events").map(\.rows) == [3])
        try expectLedgerMatchesData(f.warehouse, table)
    }

    @Test("The CLI reports the outside row with the file's path and exits 1")
    func outsideCLI() throws {
        let scenario = WriterScenario(writer: .staticReplace, granularity: .day)
        let project = try scenario.makeProject(version: 1)
        try project.write("data/events-2013-03-10.csv", "id,ts,v\n1,2013-03-10T12:00:00Z,1\n2,2013-03-11T04:00:00Z,2\n")
        let result = try project.load(["--table", "events", "--partition", "2013-03-10"])
        #expect(result.status == 1)
        #expect(result.stderr == "loadkit: error: data/events-2013-03-10.csv, line 3, column ts: this row belongs to "
                + "partition 2013-03-11, not 2013-03-10; fix the source or set outside_rows: skip to drop such rows\n")
        #expect(try tableExists(project.warehouse, "events"))
        #expect(try ledgerRows(project.warehouse, table: "events").map(\.partitionKey) == [scenario.partitions.r.key])
    }
}
