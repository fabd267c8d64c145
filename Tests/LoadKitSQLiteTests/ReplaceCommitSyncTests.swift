import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A direct replace commits with `synchronous=NORMAL` and syncs the write-ahead log itself
/// after leaving the write lock: the connection is back at `FULL` afterwards, whatever happened.
@Suite struct ReplaceCommitSyncTests {
    private func synchronous(_ destination: SQLiteDestination) throws -> Value? {
        try destination.connection.scalar("PRAGMA synchronous")
    }

    @Test("After a committed and after a failed direct replace, the warehouse connection is at synchronous=FULL again")
    func restored() throws {
        let f = try EventsFixture()
        let table = try f.table()
        let destination = try SQLiteDestination(path: f.warehouse)
        let loader = Loader(destination: destination)
        #expect(try synchronous(destination) == .integer(2))
        let good = try f.csv("d5.csv", EventsFixture.day(5, count: 10, firstID: 1))
        let day = try table.partitioning!.scheme.partition(forKey: "2024-01-05")
        let loaded = try loader.load(LoadRequest(table: table, input: f.input(good), scope: .partition(day)))
        #expect(loaded.status == .loaded && loaded.strategy == .direct)
        #expect(try synchronous(destination) == .integer(2))
        #expect(try f.count("SELECT count(*) FROM events") == 10)

        // A row of another day after 3,000 good ones (past the rows parsed before writing, so
        // the transaction is open) fails the load: rolled back, FULL again.
        let bad = try f.csv("bad.csv", EventsFixture.day(5, count: 3_000, firstID: 50) + EventsFixture.day(6, count: 1, firstID: 9_000))
        let error = #expect(throws: LoadKitError.self) {
            _ = try loader.load(LoadRequest(table: table, input: f.input(bad), scope: .partition(day)))
        }
        #expect(error?.code == .outsidePartition)
        #expect(try synchronous(destination) == .integer(2))
        #expect(try f.count("SELECT count(*) FROM events") == 10)
    }
}
