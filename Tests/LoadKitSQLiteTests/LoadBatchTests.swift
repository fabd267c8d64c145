import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// ``Loader/loadBatch(_:)`` below the runner: several partitions in one direct replace, each
/// with its own entry, or nothing at all.
@Suite struct LoadBatchTests {
    private func requests(_ fixture: EventsFixture, days: ClosedRange<Int>) throws -> [LoadRequest] {
        let table = try fixture.table()
        return try days.map { day in
            let path = try fixture.csv("day\(day).csv", EventsFixture.day(day, count: 4, firstID: day * 100))
            return LoadRequest(table: table, input: fixture.input(path),
                               scope: .partition(try table.partitioning!.scheme.partition(forKey: "2024-01-0\(day)")))
        }
    }

    @Test("A batch forced to stage cannot share a transaction: it throws batch.unavailable and writes nothing")
    func staged() throws {
        let fixture = try EventsFixture()
        let requests = try requests(fixture, days: 5...7).map { var r = $0; r.strategy = .staged; return r }
        #expect(throws: LoadKitError.self) {
            do { _ = try fixture.loader().loadBatch(requests) } catch let error as LoadKitError {
                #expect(error.code == .batchUnavailable)
                throw error
            }
        }
        // Refused before anything: not even the table or the catalog was created.
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE name IN ('events', '_loadkit_ledger')") == 0)
    }

    @Test("One bad partition fails the whole batch: nothing of the good ones is committed")
    func badRow() throws {
        let fixture = try EventsFixture()
        var requests = try requests(fixture, days: 5...7)
        let bad = try fixture.dir.write("bad.csv", "id,ts,v\n1,2024-01-06T12:00:00Z,abc\n")
        requests[1] = LoadRequest(table: requests[1].table, input: fixture.input(bad), scope: requests[1].scope)
        #expect(throws: LoadKitError.self) { try fixture.loader().loadBatch(requests) }
        #expect(try fixture.count("SELECT count(*) FROM _loadkit_ledger") == 0)
        #expect(try fixture.count("SELECT count(*) FROM events") == 0)
    }

    @Test("The same partition twice is refused before anything is written")
    func duplicate() throws {
        let fixture = try EventsFixture()
        let requests = try requests(fixture, days: 5...5)
        #expect(throws: LoadKitError.self) { try fixture.loader().loadBatch(requests + requests) }
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 0)
    }
}
