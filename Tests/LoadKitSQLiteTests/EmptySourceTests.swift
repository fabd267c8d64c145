import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A source with a header and no rows.
@Suite struct EmptySourceTests {
    /// Loads 2024-01-05 (4 rows) and 2024-01-06 (2 rows).
    private func loaded(_ f: EventsFixture, _ table: TargetTable) throws {
        _ = try f.load(table, try f.csv("d5.csv", EventsFixture.day(5, count: 4, firstID: 1)), partition: "2024-01-05")
        _ = try f.load(table, try f.csv("d6.csv", EventsFixture.day(6, count: 2, firstID: 10)), partition: "2024-01-06")
    }

    @Test("A static replace from a header-only source fails with .emptySource and keeps the partition")
    func emptyStaticReplace() throws {
        let f = try EventsFixture()
        let table = try f.table()
        try loaded(f, table)
        let before = try f.tableFingerprint(table)
        let ledgerBefore = try f.rawLedger()

        let empty = try f.csv("empty.csv", [])
        let error = try #require(throws: LoadKitError.self) { _ = try f.load(table, empty, partition: "2024-01-05") }
        #expect(error.code == .emptySource)
        #expect(error.description == "the source has no rows for partition 2024-01-05; "
                + "the partition is kept as it was (set allow_empty: true to empty it)")
        #expect(try f.tableFingerprint(table) == before)
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-05'") == 4)
        #expect(try f.rawLedger() == ledgerBefore)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("With allow_empty, a header-only source empties the partition and records 0 rows")
    func emptyAllowed() throws {
        let f = try EventsFixture()
        let table = try f.table(allowEmpty: true)
        try loaded(f, table)
        let day6 = try storedFingerprint(f.warehouse, table, where: "event_date", equals: "2024-01-06")

        let result = try f.load(table, try f.csv("empty.csv", []), partition: "2024-01-05")
        #expect(result.status == .loaded)
        #expect(result.rowsRead == 0)
        #expect(result.rowsWritten == 0)
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-05'") == 0)
        #expect(try storedFingerprint(f.warehouse, table, where: "event_date", equals: "2024-01-06") == day6)
        let entry = try #require(try ledgerRows(f.warehouse, table: "events").first { $0.partitionKey == "2024-01-05" })
        #expect(entry.rows == 0)
        #expect(entry.fingerprint == String(repeating: "0", count: 32))
        #expect(entry.loadID == LoadID.make(table: "events", mode: .replace, scope: .partition("2024-01-05")))
        #expect(try ledgerRows(f.warehouse, table: "events").count == 2)
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("A dynamic load of an empty input is .nothingToLoad and changes nothing")
    func emptyDynamic() throws {
        let f = try EventsFixture()
        let table = try f.table()
        try loaded(f, table)
        let before = try f.tableFingerprint(table)
        let ledgerBefore = try f.rawLedger()

        let result = try f.load(table, try f.csv("empty.csv", []))
        #expect(result.status == .nothingToLoad)
        #expect(result.rowsRead == 0)
        #expect(result.rowsWritten == 0)
        #expect(result.entries.isEmpty)
        #expect(try f.tableFingerprint(table) == before)
        #expect(try f.rawLedger() == ledgerBefore)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("The CLI says an empty dynamic input loads nothing and exits 0")
    func emptyDynamicCLI() throws {
        let scenario = WriterScenario(writer: .dynamicReplace, granularity: .day)
        let project = try scenario.makeProject(version: 2)
        try project.write("data/empty.csv", "id,ts,v\n")
        let table = try scenario.table
        let before = try storedFingerprint(project.warehouse, table)
        let ledgerBefore = try rawLedger(project.warehouse, table: "events")
        let result = try project.load(["--table", "events", "--input", "data/empty.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "events: the input has no rows; nothing to load, nothing changed\n")
        #expect(try storedFingerprint(project.warehouse, table) == before)
        #expect(try rawLedger(project.warehouse, table: "events") == ledgerBefore)
    }
}
