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
