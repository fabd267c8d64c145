import Foundation
import Testing

/// A transform loaded by `load` records what a backfill records, so it is not instantly stale.
@Suite struct TransformStateTests {
    @Test("load --table daily --partition KEY, then status: loaded (not stale); the ledger names the upstream it read")
    func loadThenStatus() throws {
        let project = try EventsProject()
        try project.day(1)
        _ = try project.json(["load", "--table", "events", "--partition", "2024-01-01"])
        let loaded = try project.json(["load", "--table", "daily", "--partition", "2024-01-01"])
        #expect(loaded["status"] as? String == "loaded")
        #expect(try project.states("daily")["2024-01-01"]?["state"] as? String == "loaded")
        let fingerprint = try #require(try project.json(["fingerprint", "--table", "events", "--partition", "2024-01-01"])["fingerprint"] as? String)
        #expect(try project.query("SELECT upstream FROM _loadkit_ledger WHERE table_name = 'daily'")
                == [[.text("events@2024-01-01=\(fingerprint)")]])
        // And a backfill sees it loaded.
        let backfill = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(counts(backfill) == ["skipped": 2])
    }
}

/// A transform must name every table of the file it reads in `depends_on` (G6): otherwise a
/// change there would never make it stale.
@Suite struct TransformDependencyTests {
    @Test("A transform reading a declared table missing from depends_on is a config error (64) at tables.T.sql; nothing runs")
    func undeclaredRead() throws {
        let project = try EventsProject()
        try project.day(1)
        let yaml = try String(contentsOfFile: project.config, encoding: .utf8)
            .replacingOccurrences(of: "    depends_on: [events]\n", with: "")
        _ = try project.directory.write("loadkit.yml", yaml)
        for command in [["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-01"],
                        ["load", "--table", "daily", "--partition", "2024-01-01"],
                        ["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-01", "--dry-run"]] {
            let result = try project.run(command)
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("tables.daily.sql: the query reads table events, which depends_on does not name; "
                + "add depends_on: [events]"), "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: project.warehouse))
    }
}
