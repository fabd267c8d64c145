import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Hour partitions across the 2013 daylight-saving changes of America/New_York: 2013-03-10 has
/// 23 local hours (02:00 is skipped), 2013-11-03 has 25 (01:00 happens twice, at -04:00 then -05:00).
@Suite struct DSTHourPartitionTests {
    /// One row every 15 minutes over `[start, end)` (UTC), written with Z.
    private func quarterHours(_ start: String, _ end: String, firstID: Int) -> [EventRow] {
        let from = UTCText.seconds(start)
        let to = UTCText.seconds(end)
        return stride(from: from, to: to, by: 900).enumerated().map { i, t in
            (firstID + i, UTCText.format(t), Double(i))
        }
    }

    @Test("A dynamic hour load gives 23 keys on 2013-03-10 and 25 on 2013-11-03, both 01:00 hours included")
    func dstDays() throws {
        let f = try EventsFixture()
        let table = try f.table(granularity: .hour)
        // Local midnight to local midnight: 05:00Z to 04:00Z next day (23 h), and 04:00Z to 05:00Z (25 h).
        let spring = quarterHours("2013-03-10T05:00:00Z", "2013-03-11T04:00:00Z", firstID: 1)
        let fall = quarterHours("2013-11-03T04:00:00Z", "2013-11-04T05:00:00Z", firstID: 1_000)
        #expect(spring.count == 92 && fall.count == 100)
        let path = try f.csv("dst.csv", spring + fall)

        let result = try f.load(table, path)
        #expect(result.status == .loaded)
        #expect(result.rowsWritten == 192)
        let db = try f.db()
        let keys = try db.query("SELECT event_date, count(*) FROM events GROUP BY event_date ORDER BY min(ts)")
        let springKeys = keys.compactMap { row -> String? in
            guard case .text(let k) = row[0], k.hasPrefix("2013-03-10T") else { return nil }
            return k
        }
        let fallKeys = keys.compactMap { row -> String? in
            guard case .text(let k) = row[0], k.hasPrefix("2013-11-03T") else { return nil }
            return k
        }
        #expect(keys.count == 48)
        #expect(springKeys.count == 23)
        #expect(fallKeys.count == 25)
        #expect(keys.allSatisfy { $0[1] == .integer(4) }, "every hour holds its 4 quarter-hour rows: \(keys)")
        #expect(Array(springKeys.prefix(3)) == ["2013-03-10T00:00-05:00", "2013-03-10T01:00-05:00", "2013-03-10T03:00-04:00"])
        #expect(!springKeys.contains { $0.hasPrefix("2013-03-10T02:00") })
        #expect(springKeys.last == "2013-03-10T23:00-04:00")
        #expect(Array(fallKeys.prefix(4)) == ["2013-11-03T00:00-04:00", "2013-11-03T01:00-04:00",
                                               "2013-11-03T01:00-05:00", "2013-11-03T02:00-05:00"])
        #expect(fallKeys.last == "2013-11-03T23:00-05:00")
        // The two 01:00 hours hold the right instants.
        #expect(try db.query("SELECT ts FROM events WHERE event_date = '2013-11-03T01:00-04:00' ORDER BY ts")
                == ["05:00", "05:15", "05:30", "05:45"].map { [.text("2013-11-03T\($0):00Z")] })
        #expect(try db.query("SELECT ts FROM events WHERE event_date = '2013-11-03T01:00-05:00' ORDER BY ts")
                == ["06:00", "06:15", "06:30", "06:45"].map { [.text("2013-11-03T\($0):00Z")] })
        // One ledger entry per hour, each matching its stored rows.
        let ledger = try ledgerRows(f.warehouse, table: "events")
        #expect(ledger.count == 48)
        #expect(Set(ledger.compactMap(\.partitionKey)) == Set(springKeys + fallKeys))
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("Each 01:00 hour of 2013-11-03 can be replaced alone by its key")
    func repeatedHourAlone() throws {
        let f = try EventsFixture()
        let table = try f.table(granularity: .hour)
        let path = try f.csv("fall.csv", quarterHours("2013-11-03T04:00:00Z", "2013-11-03T08:00:00Z", firstID: 1))
        _ = try f.load(table, path)
        let untouched = try storedFingerprint(f.warehouse, table, where: "event_date", equals: "2013-11-03T01:00-04:00")
        let second = try f.csv("second.csv", [(7, "2013-11-03T06:30:00Z", 9.5)])
        let result = try f.load(table, second, partition: "2013-11-03T01:00-05:00")
        #expect(result.entries.map(\.partitionKey) == ["2013-11-03T01:00-05:00"])
        #expect(try storedFingerprint(f.warehouse, table, where: "event_date", equals: "2013-11-03T01:00-04:00") == untouched)
        #expect(try f.db().query("SELECT id, ts, v FROM events WHERE event_date = '2013-11-03T01:00-05:00'")
                == [[.integer(7), .text("2013-11-03T06:30:00Z"), .real(9.5)]])
        #expect(try f.count("SELECT count(*) FROM events") == 13)
        try expectLedgerMatchesData(f.warehouse, table)
    }
}
