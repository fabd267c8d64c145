import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Staging then atomic append: once per load id, never duplicated.
@Suite struct AppendWriterTests {
    private func appendRows(_ rows: [EventRow], key: String, loadID: String) -> [[Value]] {
        rows.map { storedEvent($0, key: key, loadID: loadID) }
    }

    @Test("Appending the same partition source again is .alreadyLoaded and changes nothing")
    func rerunSameContent() throws {
        let f = try EventsFixture()
        let table = try f.table(.append)
        let rows = EventsFixture.day(5, count: 6, firstID: 1)
        let path = try f.csv("d5.csv", rows)
        let first = try f.load(table, path, partition: "2024-01-05")
        let loadID = LoadID.make(table: "events", mode: .append, scope: .partition("2024-01-05"))
        #expect(first.status == .loaded)
        #expect(first.loadID == loadID)
        #expect(first.rowsWritten == 6)
        let expected = fingerprint(of: appendRows(rows, key: "2024-01-05", loadID: loadID))
        #expect(try f.tableFingerprint(table) == expected)
        let ledgerBefore = try f.rawLedger()

        let second = try f.load(table, path, partition: "2024-01-05")
        #expect(second.status == .alreadyLoaded)
        #expect(second.rowsWritten == 0)
        #expect(second.entries.map(\.fingerprint) == [expected])
        #expect(try f.tableFingerprint(table) == expected)
        #expect(try f.count("SELECT count(*) FROM events") == 6)
        #expect(try f.rawLedger() == ledgerBefore)
        #expect(try ledgerRows(f.warehouse, table: "events")
                == [LedgerRow(key: "2024-01-05", loadID: loadID, mode: .append, fingerprint: expected, source: try sha256(ofFile: path))])
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("The same load id with changed content replaces that load id's earlier rows, never duplicates them")
    func changedContent() throws {
        let f = try EventsFixture()
        let table = try f.table(.append)
        let other = EventsFixture.day(6, count: 2, firstID: 500)
        _ = try f.load(table, try f.csv("d6.csv", other), partition: "2024-01-06")
        let path = try f.csv("d5.csv", EventsFixture.day(5, count: 6, firstID: 1))
        _ = try f.load(table, path, partition: "2024-01-05")

        // Same file (so the same load id), changed content: one row fewer and other values.
        let changed = EventsFixture.day(5, count: 5, firstID: 1, offset: 0.5)
        try f.csv("d5.csv", changed)
        let result = try f.load(table, path, partition: "2024-01-05")
        #expect(result.status == .loaded)
        let id5 = LoadID.make(table: "events", mode: .append, scope: .partition("2024-01-05"))
        let id6 = LoadID.make(table: "events", mode: .append, scope: .partition("2024-01-06"))
        #expect(result.loadID == id5)
        let expected5 = fingerprint(of: appendRows(changed, key: "2024-01-05", loadID: id5))
        let expected6 = fingerprint(of: appendRows(other, key: "2024-01-06", loadID: id6))
        #expect(try f.count("SELECT count(*) FROM events WHERE event_date = '2024-01-05'") == 5)
        #expect(try f.tableFingerprint(table) == expected5.combined(with: expected6))
        #expect(try ledgerRows(f.warehouse, table: "events") == [
            LedgerRow(key: "2024-01-05", loadID: id5, mode: .append, fingerprint: expected5, source: try sha256(ofFile: path)),
            LedgerRow(key: "2024-01-06", loadID: id6, mode: .append, fingerprint: expected6,
                      source: try sha256(ofFile: f.dir.path("d6.csv"))),
        ])
        try expectLedgerMatchesData(f.warehouse, table)
    }

    @Test("Two different input files append both, even with identical rows")
    func twoInputs() throws {
        let f = try EventsFixture()
        let table = try f.table(.append)
        let rows = EventsFixture.day(5, count: 3, firstID: 1) + EventsFixture.day(6, count: 2, firstID: 10)
        let a = try f.csv("a.csv", rows)
        let b = try f.csv("b.csv", rows)
        let first = try f.load(table, a)
        let second = try f.load(table, b)
        let idA = LoadID.make(table: "events", mode: .append, scope: .input("a.csv"))
        let idB = LoadID.make(table: "events", mode: .append, scope: .input("b.csv"))
        #expect(first.loadID == idA && second.loadID == idB)
        #expect(first.status == .loaded && second.status == .loaded)
        func stored(_ id: String) -> [[Value]] {
            appendRows(Array(rows.prefix(3)), key: "2024-01-05", loadID: id) + appendRows(Array(rows.suffix(2)), key: "2024-01-06", loadID: id)
        }
        #expect(try f.count("SELECT count(*) FROM events") == 10)
        #expect(try f.tableFingerprint(table) == fingerprint(of: stored(idA) + stored(idB)))
        let source = try sha256(ofFile: a)
        #expect(try ledgerRows(f.warehouse, table: "events") == [
            LedgerRow(key: nil, loadID: idA, mode: .append, fingerprint: fingerprint(of: stored(idA)), source: source),
            LedgerRow(key: nil, loadID: idB, mode: .append, fingerprint: fingerprint(of: stored(idB)), source: source),
        ])
        // And each again is already loaded.
        #expect(try f.load(table, a).status == .alreadyLoaded)
        #expect(try f.load(table, b).status == .alreadyLoaded)
        #expect(try f.count("SELECT count(*) FROM events") == 10)
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("A first append of an empty input is .nothingToLoad and writes no ledger row")
    func emptyFirstAppend() throws {
        let f = try EventsFixture()
        let table = try f.table(.append)
        let result = try f.load(table, try f.csv("empty.csv", []))
        #expect(result.status == .nothingToLoad)
        #expect(try f.rawLedger() == [])
        #expect(try f.count("SELECT count(*) FROM events") == 0)
    }
}
