import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Fingerprint `v2` as the commands show it, and warehouses whose ledger predates it.
@Suite struct FingerprintVersionCommandTests {
    /// The fingerprint README documents for `flights` 2013-01-05 of the example (720 rows).
    static let documented = "7485db414aab140530d151f5103a0217"

    /// Makes `tables`' ledger entries in `warehouse` look written by a loadkit from before
    /// fingerprint versions: each entry's fingerprint becomes the v1 fingerprint of its rows and
    /// `_loadkit_ledger` loses its `fingerprint_version` column.
    static func downgradeToV1(_ warehouse: String, tables: [(name: String, partitionColumn: String?)]) throws {
        let destination = try SQLiteDestination(path: warehouse)
        let update = try destination.connection.prepare(
            "UPDATE _loadkit_ledger SET fingerprint = ? WHERE table_name = ? AND load_id = ?")
        for table in tables {
            let append = try destination.existingColumns(of: table.name).contains { $0.name == TargetTable.loadIDColumn }
            for entry in try destination.ledger(table: table.name) {
                let v1 = append
                    ? try destination.fingerprint(table: table.name, loadID: entry.loadID, partitionColumn: nil,
                                                  partition: nil, version: .v1)
                    : try destination.fingerprint(table: table.name, partitionColumn: table.partitionColumn,
                                                  partition: entry.partitionKey, version: .v1)
                try update.execute([.text(v1.hex), .text(table.name), .text(entry.loadID)])
            }
        }
        try destination.connection.execute("ALTER TABLE _loadkit_ledger DROP COLUMN fingerprint_version")
    }

    @Test("The fingerprint of the example's flights 2013-01-05 is the value README documents")
    func documentedValue() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let report = try workspace.json(["fingerprint", "--table", "flights", "--partition", "2013-01-05"])
        #expect(report["rows"] as? Int == 720)
        #expect(report["fingerprint"] as? String == Self.documented)
        let readme = try String(contentsOfFile: Paths.packageRoot + "/README.md", encoding: .utf8)
        #expect(readme.contains("flights 2013-01-05: 720 rows, fingerprint \(Self.documented)"))
        // And its v1 value, as README gives it too.
        let v1 = try SQLiteDestination(readingOnly: workspace.warehouse)
            .fingerprint(table: "flights", partitionColumn: "flight_date", partition: "2013-01-05", version: .v1)
        #expect(v1.hex == "ffcc7c4d546a9b5024b31595094d38eb")
        #expect(readme.contains("`\(Self.documented)` (v1: `\(v1.hex)`)"))
    }

    @Test("A warehouse whose ledger predates fingerprint versions: status says loaded, backfill skips, verify passes")
    func oldReplaceLedger() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-06", "--quiet"])
        try Self.downgradeToV1(workspace.warehouse, tables: [("flights", "flight_date"), ("airlines", nil)])
        let ledgerBefore = try ledger(workspace.warehouse, table: "flights")

        let status = try workspace.json(["status", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-06"])
        #expect(status["counts"] as? [String: Int] == ["loaded": 3])
        let backfill = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-06", "--quiet"])
        #expect(counts(backfill) == ["skipped": 4], "flights' 3 days and airlines upstream: \(backfill)")
        #expect(try ledger(workspace.warehouse, table: "flights") == ledgerBefore)

        let before = try VerifyCommandTests.sha256(workspace.warehouse)
        let report = try workspace.json(["verify", "--table", "flights", "--partition", "2013-01-05"])
        #expect(report["ok"] as? Bool == true, "\(report)")
        #expect(try VerifyCommandTests.sha256(workspace.warehouse) == before)
        // In place: the reload writes v2, and every check compares like with like.
        let inPlace = try workspace.json(["verify", "--table", "flights", "--partition", "2013-01-05", "--in-place"])
        #expect(inPlace["ok"] as? Bool == true, "\(inPlace)")
        let versions = try SQLiteConnection(path: workspace.warehouse, mode: .readOnly).query(
            "SELECT partition_key, ifnull(fingerprint_version, 'NULL') FROM _loadkit_ledger WHERE table_name = 'flights' ORDER BY 1")
        #expect(versions.map { $0.map { $0.textValue ?? "?" } } == [["2013-01-04", "NULL"], ["2013-01-05", "v2"], ["2013-01-06", "NULL"]])
    }

    @Test("An append loaded before fingerprint versions is already loaded with the same content, and verify passes on it")
    func oldAppendLedger() throws {
        let workspace = try VerifyCommandTests.EventsWorkspace()
        try workspace.loadAll()
        _ = try workspace.json(["load", "--table", "events", "--partition", "2024-03-02"])
        try Self.downgradeToV1(workspace.warehouse, tables: [("events", "day")])
        let again = try workspace.json(["load", "--table", "events", "--partition", "2024-03-02"])
        #expect(again["status"] as? String == "already_loaded", "\(again)")
        let report = try workspace.json(["verify", "--table", "events", "--partition", "2024-03-02"])
        #expect(report["ok"] as? Bool == true, "\(report)")
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true && $0["exercised"] as? Bool == true })
        #expect(Set(steps.compactMap { $0["rows"] as? Int }) == [2])
    }
}
