import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A bad value in the middle of a partition's input: the error names file, line and column, and
/// nothing of the target, the ledger or staging changes; on every destination.
@Suite struct BadInputTests {
    /// The CSV text of `rows` rows of 2024-01-05 whose physical line `badLine` (the header is
    /// line 1) has `abc` for `v`.
    private func badCSV(rows: Int, badLine: Int) -> String {
        let start = UTCText.seconds("2024-01-05T05:00:00Z")
        var text = "id,ts,v\n"
        for i in 0..<rows {
            let value = i + 2 == badLine ? "abc" : "\(Double(i) / 2)"
            text += "\(i),\(UTCText.format(start + Int64(i * 86_400 / rows))),\(value)\n"
        }
        return text
    }

    private func badFile(_ f: EventsFixture, rows: Int, badLine: Int) throws -> String {
        try f.dir.write("bad.csv", badCSV(rows: rows, badLine: badLine))
    }

    @Test("`loadkit load` of a 900-row partition whose line 700 has 'abc' for a real: exit 1 naming file, line and column; target, ledger and staging unchanged",
          arguments: TestDestination.available, [false, true])
    func typeErrorMidFile(_ destination: TestDestination, dynamic: Bool) throws {
        let project = try CLIProject(yaml: """
            warehouse: warehouse.db
            tables:
              events:
                source: { path: "data/events-{date}.csv" }
                columns: { id: integer, ts: timestamp, v: real }
                partition: { column: event_date, granularity: day, from: ts, timezone: America/New_York }
                write: replace
                retry: { attempts: 1 }

            """, on: destination)
        let table = try EventsFixture().table()
        try project.write("data/old.csv", eventsCSV(EventsFixture.day(5, count: 8, firstID: 1) + EventsFixture.day(6, count: 3, firstID: 50)))
        let setup = try project.load(["--table", "events", "--input", "data/old.csv"])
        try #require(setup.status == 0, "\(setup.stderr)")
        let before = try project.store.tableFingerprint(table)
        let ledgerBefore = try project.store.rawLedger(table: "events")

        let file = dynamic ? "data/bad.csv" : "data/events-2024-01-05.csv"
        try project.write(file, badCSV(rows: 900, badLine: 700))
        let failed = try project.load(["--table", "events", "--json"]
                                      + (dynamic ? ["--input", file] : ["--partition", "2024-01-05"]))
        #expect(failed.status == 1 && !failed.wasSignalled)
        #expect(failed.stderr.contains("\(file), line 700, column v: 'abc' is not a real number"), "\(failed.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any]
        let error = document?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "value.invalid", "\(failed.stdout)")
        #expect(error?["file"] as? String == file && error?["line"] as? Int == 700 && error?["column"] as? String == "v",
                "\(failed.stdout)")
        #expect(try project.store.tableFingerprint(table) == before)
        #expect(try project.store.rawLedger(table: "events") == ledgerBefore)
        #expect(try project.store.stagingLeftovers() == [])
        try project.store.expectLedgerMatchesData(table)
    }

    @Test("A bad value after many batches is reported the same way and changes nothing; the same loader then loads a good file",
          arguments: TestDestination.available)
    func typeErrorLate(_ destination: TestDestination) throws {
        let f = try EventsFixture(on: destination)
        let table = try f.table()
        let loader = try f.loader()
        func load(_ path: String) throws -> LoadResult {
            try loader.load(LoadRequest(table: table, input: f.input(path),
                                        scope: .partition(try table.partitioning!.scheme.partition(forKey: "2024-01-05"))))
        }
        _ = try load(try f.csv("old.csv", EventsFixture.day(5, count: 4, firstID: 1)))
        let before = try f.store.tableFingerprint(table)
        let ledgerBefore = try f.store.rawLedger(table: "events")

        let path = try badFile(f, rows: 30_000, badLine: 25_001)
        let error = try #require(throws: LoadKitError.self) { _ = try load(path) }
        #expect(error.description == "bad.csv, line 25001, column v: 'abc' is not a real number")
        #expect(error.code == .invalidValue)
        #expect(error.location == LoadKitError.Location(file: "bad.csv", line: 25001, column: "v"))
        #expect(!error.isTransient)
        #expect(try f.store.tableFingerprint(table) == before)
        #expect(try f.store.rawLedger(table: "events") == ledgerBefore)
        #expect(try f.store.stagingLeftovers() == [])

        // The same loader goes on to load a good file: nothing of the failed attempt lingers
        // (on PostgreSQL, the COPY it left open is ended).
        let good = EventsFixture.day(5, count: 3, firstID: 77)
        let result = try load(try f.csv("good.csv", good))
        #expect(result.rowsWritten == 3)
        #expect(try f.store.tableFingerprint(table) == fingerprint(of: EventsFixture.stored(good, key: "2024-01-05")))
    }

    @Test("An empty partition source column is refused naming line and column", arguments: TestDestination.available)
    func missingPartitionValue(_ destination: TestDestination) throws {
        let f = try EventsFixture(on: destination)
        let table = try f.table()
        let path = try f.dir.write("nulls.csv", "id,ts,v\n1,2024-01-05T12:00:00Z,1\n2,,2\n")
        let error = try #require(throws: LoadKitError.self) { _ = try f.load(table, path) }
        #expect(error.description
                == "nulls.csv, line 3, column ts: the partition key is derived from this column and it is empty; every row needs one")
        #expect(error.code == .missingPartitionKey)
        #expect(try f.store.scalar("SELECT count(*) FROM events") == "0")
        #expect(try f.store.rawLedger(table: "events") == [])
        #expect(try f.store.stagingLeftovers() == [])
    }
}
