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

    @Test("Replacing a partition twice leaves one copy, with the same fingerprint and one ledger row")
    func replaceTwice() throws {
        let f = try EventsFixture()
        let table = try f.table()
        let rows = EventsFixture.day(5, count: 10, firstID: 1)
        let path = try f.csv("d5.csv", rows)
        let first = try f.load(table, path, partition: "2024-01-05")
        let once = try SQLiteDestination(path: f.warehouse).fingerprint(table: table, partition: "2024-01-05")
        let second = try f.load(table, path, partition: "2024-01-05")
        let twice = try SQLiteDestination(path: f.warehouse).fingerprint(table: table, partition: "2024-01-05")
        #expect(first.status == .loaded && second.status == .loaded)
        #expect(once == twice)
        #expect(twice == fingerprint(of: EventsFixture.stored(rows, key: "2024-01-05")))
        #expect(try f.count("SELECT count(*) FROM events") == 10)
        let ledger = try ledgerRows(f.warehouse, table: "events")
        #expect(ledger == [LedgerRow(key: "2024-01-05", loadID: LoadID.make(table: "events", mode: .replace, scope: .partition("2024-01-05")),
                                     mode: .replace, fingerprint: twice, source: try sha256(ofFile: path))])
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    enum Reload: String, CaseIterable, Sendable { case staticReplace, dynamicReplace }

    @Test("Replacing one day leaves every other day's rows, fingerprint and ledger row unchanged",
          arguments: Reload.allCases)
    func scope(_ reload: Reload) throws {
        let f = try EventsFixture()
        let table = try f.table()
        var days: [Int: [EventRow]] = [:]
        for day in 1...5 {
            days[day] = EventsFixture.day(day, count: 6 + day, firstID: day * 100)
            _ = try f.load(table, try f.csv("day\(day).csv", days[day]!), partition: "2024-01-0\(day)")
        }
        let destination = try SQLiteDestination(path: f.warehouse)
        var before: [String: Fingerprint] = [:]
        for day in 1...5 { before["2024-01-0\(day)"] = try destination.fingerprint(table: table, partition: "2024-01-0\(day)") }
        let ledgerBefore = try f.rawLedger()
        #expect(ledgerBefore.count == 5)

        let replacement = EventsFixture.day(3, count: 4, firstID: 900, offset: 0.125)
        let path = try f.csv("day3-new.csv", replacement)
        let result = try f.load(table, path, partition: reload == .staticReplace ? "2024-01-03" : nil)
        #expect(result.entries.map(\.partitionKey) == ["2024-01-03"])

        for day in [1, 2, 4, 5] {
            let key = "2024-01-0\(day)"
            #expect(try destination.fingerprint(table: table, partition: key) == before[key], "\(key)")
            #expect(try destination.fingerprint(table: table, partition: key)
                    == fingerprint(of: EventsFixture.stored(days[day]!, key: key)), "\(key)")
        }
        let day3 = try destination.fingerprint(table: table, partition: "2024-01-03")
        #expect(day3 != before["2024-01-03"])
        #expect(day3 == fingerprint(of: EventsFixture.stored(replacement, key: "2024-01-03")))
        #expect(try f.count("SELECT count(*) FROM events") == 7 + 8 + 4 + 10 + 11)
        // The other days' ledger rows are byte-for-byte the same (same run id and time).
        let ledgerAfter = try f.rawLedger()
        #expect(ledgerAfter.filter { $0[0] != .text("2024-01-03") } == ledgerBefore.filter { $0[0] != .text("2024-01-03") })
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("A dynamic load replaces exactly the partitions present in its input, old rows included")
    func dynamicScope() throws {
        let f = try EventsFixture()
        let table = try f.table()
        var all: [EventRow] = []
        for day in 1...5 { all += EventsFixture.day(day, count: 5, firstID: day * 100) }
        _ = try f.load(table, try f.csv("all.csv", all))
        #expect(try ledgerRows(f.warehouse, table: "events").count == 5)

        // Day 2 gets fewer rows than before, day 4 more; none of the old rows of either may survive.
        let day2 = EventsFixture.day(2, count: 2, firstID: 2_000, offset: 7)
        let day4 = EventsFixture.day(4, count: 9, firstID: 4_000, offset: 7)
        let result = try f.load(table, try f.csv("batch.csv", day4 + day2))
        #expect(result.status == .loaded)
        #expect(result.entries.map(\.partitionKey) == ["2024-01-02", "2024-01-04"])
        #expect(result.entries.map(\.loadID) == ["2024-01-02", "2024-01-04"].map {
            LoadID.make(table: "events", mode: .replace, scope: .partition($0)) })
        var expected: [[Value]] = []
        for day in [1, 3, 5] { expected += EventsFixture.stored(EventsFixture.day(day, count: 5, firstID: day * 100), key: "2024-01-0\(day)") }
        expected += EventsFixture.stored(day2, key: "2024-01-02") + EventsFixture.stored(day4, key: "2024-01-04")
        #expect(try f.tableFingerprint(table) == fingerprint(of: expected))
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-02'") == 2)
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-04'") == 9)
        try expectLedgerMatchesData(f.warehouse, table)
    }
}
