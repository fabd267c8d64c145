import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// What cancelling an attempt (its `timeout:`) does below the runner: the loader's flag check
/// between batches of rows, a failpoint-free direct load and a batch, and SQLite's interrupt of
/// a running statement. Nothing here waits on a clock.
@Suite struct CancellationTests {
    @Test("A cancelled load stops at its next check of the flag and leaves the target and ledger as they were",
          arguments: [WriteStrategy.direct, .staged])
    func cancelledLoad(strategy: WriteStrategy) throws {
        let fixture = try EventsFixture()
        let table = try fixture.table()
        let first = try fixture.csv("first.csv", EventsFixture.day(5, count: 10, firstID: 1))
        _ = try fixture.load(table, first, partition: "2024-01-05")
        let ledger = try fixture.rawLedger()
        let fingerprint = try fixture.tableFingerprint(table)

        // 3,000 rows: the loader checks the flag every 1,024.
        let big = try fixture.csv("big.csv", EventsFixture.day(5, count: 3000, firstID: 100))
        let cancellation = Cancellation()
        cancellation.cancel()
        var request = LoadRequest(table: table, input: fixture.input(big),
                                  scope: .partition(try table.partitioning!.scheme.partition(forKey: "2024-01-05")))
        request.strategy = strategy
        request.cancellation = cancellation
        #expect(throws: Cancellation.error) { try fixture.loader().load(request) }
        #expect(try fixture.count("SELECT count(*) FROM events") == 10)
        #expect(try fixture.rawLedger() == ledger)
        #expect(try fixture.tableFingerprint(table) == fingerprint)
    }

    @Test("A cancelled batch commits none of its partitions")
    func cancelledBatch() throws {
        let fixture = try EventsFixture()
        let table = try fixture.table()
        let scheme = table.partitioning!.scheme
        let requests = try (5...7).map { day -> LoadRequest in
            let path = try fixture.csv("day\(day).csv", EventsFixture.day(day, count: 2000, firstID: day * 10_000))
            var request = LoadRequest(table: table, input: fixture.input(path),
                                      scope: .partition(try scheme.partition(forKey: "2024-01-0\(day)")))
            request.cancellation = Cancellation()
            return request
        }
        requests[0].cancellation!.cancel()
        #expect(throws: Cancellation.error) { try fixture.loader().loadBatch(requests) }
        #expect(try fixture.count("SELECT count(*) FROM events") == 0)
        #expect(try fixture.count("SELECT count(*) FROM _loadkit_ledger") == 0)

        // Not cancelled: three entries, one per partition, each with its own rows.
        let results = try fixture.loader().loadBatch(requests.map { var r = $0; r.cancellation = nil; return r })
        #expect(results.map { $0.entries.map(\.partitionKey) } == [["2024-01-05"], ["2024-01-06"], ["2024-01-07"]])
        #expect(results.map(\.rowsWritten) == [2000, 2000, 2000])
        #expect(try fixture.count("SELECT count(*) FROM _loadkit_ledger") == 3)
        for result in results {
            let key = try #require(result.entries.first?.partitionKey)
            #expect(try fixture.loader().destination.fingerprint(table: table, partition: key) == result.entries.first?.fingerprint)
        }
    }

    @Test("SQLiteDestination.interrupt() stops a running statement with SQLITE_INTERRUPT; the next one runs")
    func interruptRunningStatement() throws {
        let fixture = try EventsFixture()
        let destination = try SQLiteDestination(path: fixture.warehouse)
        // An endless query, interrupted from inside its own row callback (a statement is running).
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n"
        var seen = 0
        #expect(throws: SQLiteError.self) {
            try destination.query(endless, partitionKey: nil, columns: { _ in }, row: { _ in
                seen += 1
                if seen == 100 { destination.interrupt() }
            })
        }
        #expect(seen >= 100)
        // Nothing running: interrupting does nothing lasting.
        destination.interrupt()
        #expect(try destination.connection.scalar("SELECT 42") == .integer(42))
    }
}
