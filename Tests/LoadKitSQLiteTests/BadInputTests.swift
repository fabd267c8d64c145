import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A bad value in the middle of a partition's input: the error names file, line and column, and
/// nothing of the target, the ledger or staging changes.
@Suite struct BadInputTests {
    /// A CSV of `rows` rows of 2024-01-05 whose physical line `badLine` (the header is line 1)
    /// has `abc` for `v`.
    private func badFile(_ f: EventsFixture, rows: Int, badLine: Int) throws -> String {
        let start = UTCText.seconds("2024-01-05T05:00:00Z")
        var text = "id,ts,v\n"
        for i in 0..<rows {
            let value = i + 2 == badLine ? "abc" : "\(Double(i) / 2)"
            text += "\(i),\(UTCText.format(start + Int64(i * 86_400 / rows))),\(value)\n"
        }
        return try f.dir.write("bad.csv", text)
    }

    @Test("Line 700 of a 900-row partition with 'abc' for a real: exact error, target and ledger unchanged",
          arguments: [false, true])
    func typeErrorMidFile(dynamic: Bool) throws {
        let f = try EventsFixture()
        let table = try f.table()
        let old = EventsFixture.day(5, count: 8, firstID: 1) + EventsFixture.day(6, count: 3, firstID: 50)
        _ = try f.load(table, try f.csv("old.csv", old))
        let before = try f.tableFingerprint(table)
        let ledgerBefore = try f.rawLedger()

        let path = try badFile(f, rows: 900, badLine: 700)
        let error = try #require(throws: LoadKitError.self) {
            _ = try f.load(table, path, partition: dynamic ? nil : "2024-01-05")
        }
        #expect(error.description == "bad.csv, line 700, column v: 'abc' is not a real number")
        #expect(error.code == .invalidValue)
        #expect(error.location == LoadKitError.Location(file: "bad.csv", line: 700, column: "v"))
        #expect(!error.isTransient)
        #expect(try f.tableFingerprint(table) == before)
        #expect(try f.rawLedger() == ledgerBefore)
        #expect(try stagingLeftovers(f.warehouse) == [])
        try expectLedgerMatchesData(f.warehouse, table)
    }

    @Test("A bad value after many staged batches is reported the same way and changes nothing")
    func typeErrorLate() throws {
        let f = try EventsFixture()
        let table = try f.table()
        _ = try f.load(table, try f.csv("old.csv", EventsFixture.day(5, count: 4, firstID: 1)), partition: "2024-01-05")
        let before = try f.tableFingerprint(table)
        let ledgerBefore = try f.rawLedger()

        let path = try badFile(f, rows: 30_000, badLine: 25_001)
        let error = try #require(throws: LoadKitError.self) {
            _ = try f.load(table, path, partition: "2024-01-05")
        }
        #expect(error.description == "bad.csv, line 25001, column v: 'abc' is not a real number")
        #expect(try f.tableFingerprint(table) == before)
        #expect(try f.rawLedger() == ledgerBefore)
        #expect(try stagingLeftovers(f.warehouse) == [])

        // The same loader goes on to load a good file: nothing of the failed attempt lingers.
        let good = EventsFixture.day(5, count: 3, firstID: 77)
        let result = try f.load(table, try f.csv("good.csv", good), partition: "2024-01-05")
        #expect(result.rowsWritten == 3)
        #expect(try f.tableFingerprint(table) == fingerprint(of: EventsFixture.stored(good, key: "2024-01-05")))
    }

    @Test("An empty partition source column is refused naming line and column")
    func missingPartitionValue() throws {
        let f = try EventsFixture()
        let table = try f.table()
        let path = try f.dir.write("nulls.csv", "id,ts,v\n1,2024-01-05T12:00:00Z,1\n2,,2\n")
        let error = try #require(throws: LoadKitError.self) { _ = try f.load(table, path) }
        #expect(error.description
                == "nulls.csv, line 3, column ts: the partition key is derived from this column and it is empty; every row needs one")
        #expect(error.code == .missingPartitionKey)
        #expect(try f.count("SELECT count(*) FROM events") == 0)
        #expect(try f.rawLedger() == [])
        #expect(try stagingLeftovers(f.warehouse) == [])
    }
}
