import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// `SQLiteDestination.copyForVerify`: the scratch warehouse `verify` runs in.
@Suite struct VerifyScratchTests {
    /// Every file beside `warehouse` (its folder's listing) and the warehouse's bytes.
    private static func state(_ fixture: EventsFixture) throws -> ([String], Data) {
        (try FileManager.default.contentsOfDirectory(atPath: fixture.dir.root).sorted(),
         try Data(contentsOf: URL(fileURLWithPath: fixture.warehouse)))
    }

    /// Rows of `table` in `path`, sorted by their text form.
    private static func rows(_ path: String, _ sql: String) throws -> [String] {
        try SQLiteConnection(path: path, mode: .readOnly).query(sql).map { $0.map(\.description).joined(separator: "|") }.sorted()
    }

    @Test("The scratch of a replace partition holds its rows, one sentinel per other partition, the table's ledger, the warehouse's schema; the warehouse is untouched")
    func replacePartition() throws {
        let f = try EventsFixture()
        let table = try f.table(.replace)
        for day in 4...7 {
            _ = try f.load(table, try f.csv("d\(day).csv", EventsFixture.day(day, count: 3 + day, firstID: day * 100)),
                           partition: "2024-01-0\(day)")
        }
        // Another program's table and a view: their definitions are copied, not their rows.
        try f.db().execute("CREATE TABLE other(x INTEGER); INSERT INTO other VALUES (1), (2); "
            + "CREATE VIEW daily AS SELECT event_date, count(*) AS n FROM events GROUP BY event_date")
        let before = try Self.state(f)
        let scratchDir = try TemporaryDirectory()
        let scratch = scratchDir.path("scratch.db")
        let copied = try SQLiteDestination(readingOnly: f.warehouse)
            .copyForVerify(table: "events", partitionColumn: "event_date", partition: "2024-01-05", to: scratch)
        let after = try Self.state(f)
        #expect(after.0 == before.0, "the warehouse's folder is as it was")
        #expect(after.1 == before.1, "the warehouse is byte for byte as it was")
        #expect(copied == .init(rows: 8, sentinels: 3, ledgerEntries: 4))
        #expect(try Self.rows(scratch, "SELECT count(*) FROM other") == ["0"])
        #expect(try Self.rows(scratch, "SELECT type, name, sql FROM sqlite_master WHERE name IN ('other', 'daily')")
            == (try Self.rows(f.warehouse, "SELECT type, name, sql FROM sqlite_master WHERE name IN ('other', 'daily')")))

        #expect(try Self.rows(scratch, "SELECT * FROM events WHERE event_date = '2024-01-05'")
            == (try Self.rows(f.warehouse, "SELECT * FROM events WHERE event_date = '2024-01-05'")))
        // The first row (by rowid) of each other day.
        #expect(try Self.rows(scratch, "SELECT * FROM events WHERE event_date <> '2024-01-05'")
            == (try Self.rows(f.warehouse, "SELECT * FROM events WHERE rowid IN "
                + "(SELECT min(rowid) FROM events GROUP BY event_date) AND event_date <> '2024-01-05'")))
        #expect(try Self.rows(scratch, "SELECT * FROM _loadkit_ledger") == (try Self.rows(f.warehouse, "SELECT * FROM _loadkit_ledger")))
        #expect(try Self.rows(scratch, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'events'")
            == (try Self.rows(f.warehouse, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'events'")))
        #expect(try Self.rows(scratch, "SELECT count(*) FROM _loadkit_runs") == ["0"])
        // The scratch is a warehouse a load accepts: loading the partition again works there.
        let result = try Loader(destination: try SQLiteDestination(path: scratch))
            .load(LoadRequest(table: table, input: f.input(f.dir.path("d5.csv")),
                              scope: .partition(try table.partitioning!.scheme.partition(forKey: "2024-01-05"))))
        #expect(result.status == .loaded)
    }

    @Test("The scratch of an append partition has a sentinel for every other partition and every other load id, and no row twice")
    func appendPartition() throws {
        let f = try EventsFixture()
        let table = try f.table(.append)
        // One load of three days under one load id, then per-day loads of two days.
        let all = EventsFixture.day(4, count: 2, firstID: 1) + EventsFixture.day(5, count: 2, firstID: 10)
            + EventsFixture.day(6, count: 2, firstID: 20)
        _ = try f.load(table, try f.csv("all.csv", all))
        _ = try f.load(table, try f.csv("d5.csv", EventsFixture.day(5, count: 4, firstID: 100)), partition: "2024-01-05")
        _ = try f.load(table, try f.csv("d6.csv", EventsFixture.day(6, count: 4, firstID: 200)), partition: "2024-01-06")
        let scratchDir = try TemporaryDirectory()
        let scratch = scratchDir.path("scratch.db")
        let copied = try SQLiteDestination(readingOnly: f.warehouse)
            .copyForVerify(table: "events", partitionColumn: "event_date", partition: "2024-01-05", to: scratch)
        // 2024-01-05: 2 rows of the whole-input load + 4 of its own load. Sentinels: the first
        // rows of 2024-01-04 and 2024-01-06 (both of the whole-input load, which so also has
        // one outside the partition), and one of the 2024-01-06 load.
        #expect(copied.rows == 6)
        #expect(copied.ledgerEntries == 3)
        let outside = try Self.rows(scratch, "SELECT _loadkit_load_id, event_date FROM events WHERE event_date <> '2024-01-05'")
        let loadIDs = Set(try Self.rows(f.warehouse, "SELECT DISTINCT _loadkit_load_id FROM events WHERE event_date <> '2024-01-05'"))
        #expect(loadIDs.count == 2)
        #expect(Set(outside.map { String($0.split(separator: "|")[0]) }) == loadIDs)
        #expect(Set(outside.map { String($0.split(separator: "|")[1]) }) == ["'2024-01-04'", "'2024-01-06'"])
        #expect(copied.sentinels == outside.count)
        #expect(try Self.rows(scratch, "SELECT count(*) FROM (SELECT DISTINCT * FROM events)")
            == (try Self.rows(scratch, "SELECT count(*) FROM events")))
    }

    @Test("An unpartitioned table is copied whole; a table that does not exist yet gives loadkit's tables only")
    func unpartitionedAndMissing() throws {
        let f = try EventsFixture()
        let table = try TargetTable(name: "plain", schema: EventsFixture.schema, partitioning: nil, writeMode: .replace)
        let path = try f.csv("plain.csv", EventsFixture.day(4, count: 5, firstID: 1))
        _ = try Loader(destination: try SQLiteDestination(path: f.warehouse))
            .load(LoadRequest(table: table, input: f.input(path), scope: .wholeTable))
        let scratchDir = try TemporaryDirectory()
        let whole = try SQLiteDestination(readingOnly: f.warehouse)
            .copyForVerify(table: "plain", partitionColumn: nil, partition: nil, to: scratchDir.path("a.db"))
        #expect(whole == .init(rows: 5, sentinels: 0, ledgerEntries: 1))
        let missing = try SQLiteDestination(readingOnly: f.warehouse)
            .copyForVerify(table: "events", partitionColumn: "event_date", partition: "2024-01-04", to: scratchDir.path("b.db"))
        #expect(missing == .init(rows: 0, sentinels: 0, ledgerEntries: 0))
        #expect(try Self.rows(scratchDir.path("b.db"), "SELECT name FROM sqlite_master WHERE type = 'table'")
            == ["'_loadkit_attempts'", "'_loadkit_ledger'", "'_loadkit_runs'", "'plain'"])
        #expect(try Self.rows(scratchDir.path("b.db"), "SELECT count(*) FROM plain") == ["0"])
    }
}
