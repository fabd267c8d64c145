import Foundation
import Testing

/// `LOADKIT_NOW` replaces the clock wherever "now" decides something (SPEC.md §6).
@Suite struct ClockTests {
    @Test("run loads the last complete partition before LOADKIT_NOW")
    func runUsesNow() throws {
        let project = try EventsProject()
        for d in 1...3 { try project.day(d) }
        _ = try project.directory.write("data/log.csv", "id,msg\n1,hello\n")
        let summary = try project.json(["run"], environment: ["LOADKIT_NOW": "2024-01-03T05:00:00Z"])
        #expect(try summaryItems(summary).filter { $0["table"] as? String != "log" }.map { "\($0["table"] ?? "") \($0["partition"] ?? "")" }
            == ["events 2024-01-02", "daily 2024-01-02"])
        #expect(try project.count("SELECT count(*) FROM events WHERE day = '2024-01-02'") == 3)
        #expect(try project.count("SELECT count(*) FROM events") == 3)
    }

    @Test("backfill without --to ends at the last complete partition before LOADKIT_NOW; a date means midnight UTC")
    func backfillDefaultEnd() throws {
        let project = try EventsProject()
        for d in 1...4 { try project.day(d) }
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01"],
                                       environment: ["LOADKIT_NOW": "2024-01-04"])
        #expect(try summaryItems(summary).compactMap { $0["partition"] as? String }.sorted()
            == ["2024-01-01", "2024-01-02", "2024-01-03"])
        #expect(try project.count("SELECT count(*) FROM events") == 9)
    }

    @Test("An offset instant is honoured: 2024-01-03T01:00:00+02:00 is still 2024-01-02 in UTC")
    func offsetInstant() throws {
        let project = try EventsProject()
        for d in 1...2 { try project.day(d) }
        _ = try project.directory.write("data/log.csv", "id,msg\n1,hello\n")
        let summary = try project.json(["run"], environment: ["LOADKIT_NOW": "2024-01-03T01:00:00+02:00"])
        #expect(try summaryItems(summary).first { $0["table"] as? String == "events" }?["partition"] as? String == "2024-01-01")
    }

    @Test("An invalid LOADKIT_NOW is a usage error (exit 64) naming the variable", arguments: ["tomorrow", "2024-13-01", "2024-01-01T10:00:00", "2013-02-30", "2024-01-01T24:00:00Z",
                                   "2024-01-01T10:00:00+25:00"])
    func invalid(text: String) throws {
        let project = try EventsProject()
        try project.day(1)
        let result = try project.run(["run"], environment: ["LOADKIT_NOW": text])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("LOADKIT_NOW: '\(text)' is not an ISO 8601 instant or date"), "stderr: \(result.stderr)")
        let ledgerRows = FileManager.default.fileExists(atPath: project.warehouse)
            ? try project.count("SELECT count(*) FROM _loadkit_ledger") : 0
        #expect(ledgerRows == 0)
    }
}

/// A malformed `LOADKIT_FAILPOINT` is refused before anything runs.
@Suite struct FailPointEnvironmentTests {
    @Test("LOADKIT_FAILPOINT with a sleep without a unit: exit 64, the warehouse untouched")
    func sleepWithoutUnit() throws {
        let project = try EventsProject()
        try project.day(1)
        let result = try project.run(["load", "--table", "events", "--partition", "2024-01-01"],
                                     environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=3"])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("LOADKIT_FAILPOINT: '3' has no unit"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.warehouse))
    }
}
