import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// An existing target whose columns differ from the declared ones is never altered.
@Suite struct SchemaMismatchTests {
    @Test("An existing table with other columns fails with .schemaMismatch naming both lists; it is unchanged",
          arguments: [
            ("CREATE TABLE events(id INTEGER, ts TIMESTAMP, v TEXT, event_date TEXT)",
             "id INTEGER, ts TIMESTAMP, v TEXT, event_date TEXT"),
            ("CREATE TABLE events(id INTEGER, ts TIMESTAMP, v REAL)", "id INTEGER, ts TIMESTAMP, v REAL"),
            ("CREATE TABLE events(ts TIMESTAMP, id INTEGER, v REAL, event_date TEXT)",
             "ts TIMESTAMP, id INTEGER, v REAL, event_date TEXT"),
          ])
    func mismatch(ddl: String, existing: String) throws {
        let f = try EventsFixture()
        let db = try f.db()
        try db.execute(ddl)
        try db.execute("INSERT INTO events(id) VALUES (42)")
        let schemaBefore = try db.query("SELECT sql FROM sqlite_master WHERE name = 'events'")
        let table = try f.table()
        let path = try f.csv("d.csv", EventsFixture.day(5, count: 3, firstID: 1))

        let error = try #require(throws: LoadKitError.self) { _ = try f.load(table, path, partition: "2024-01-05") }
        #expect(error.code == .schemaMismatch)
        #expect(error.description == "table 'events' exists with columns (\(existing)) but the config declares "
                + "(id INTEGER, ts TIMESTAMP, v REAL, event_date TEXT); loadkit never alters a table: "
                + "migrate or drop it, or fix the config")
        #expect(try db.query("SELECT sql FROM sqlite_master WHERE name = 'events'") == schemaBefore)
        #expect(try db.query("SELECT id FROM events") == [[.integer(42)]])
        #expect(try f.rawLedger() == [])
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("A replace table later declared as append is a mismatch (the load id column is missing)")
    func modeChange() throws {
        let f = try EventsFixture()
        let path = try f.csv("d.csv", EventsFixture.day(5, count: 3, firstID: 1))
        _ = try f.load(try f.table(), path, partition: "2024-01-05")
        let before = try f.tableFingerprint(try f.table())
        let ledgerBefore = try f.rawLedger()
        let error = try #require(throws: LoadKitError.self) {
            _ = try f.load(try f.table(.append), path, partition: "2024-01-05")
        }
        #expect(error.description == "table 'events' exists with columns (id INTEGER, ts TIMESTAMP, v REAL, event_date TEXT) "
                + "but the config declares (id INTEGER, ts TIMESTAMP, v REAL, event_date TEXT, _loadkit_load_id TEXT); "
                + "loadkit does not add, drop or rename columns of a loaded table: rebuild it with "
                + "`loadkit backfill --table events --from KEY --to KEY --rebuild` (drops the table and its ledger "
                + "entries, then loads the range), or restore the old columns in loadkit.yml")
        #expect(try f.tableFingerprint(try f.table()) == before)
        #expect(try f.rawLedger() == ledgerBefore)
    }
}
