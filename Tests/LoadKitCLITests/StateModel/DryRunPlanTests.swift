import Foundation
import Testing

/// `--dry-run` plans exactly what the run then does (SPEC.md G6, §3).
@Suite struct DryRunPlanTests {
    @Test("Skips for loaded tables and transforms, a missing source fails and its transform is upstream_failed; exit 1; the run agrees")
    func planMatchesRun() throws {
        let project = try EventsProject()
        for d in 1...3 { try project.day(d) }
        let first = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-03"])
        #expect(counts(first) == ["success": 6])
        try FileManager.default.removeItem(atPath: project.directory.path("data/2024-01-02.csv"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: project.warehouse))

        let dry = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-03", "--dry-run"],
                                   status: 1)
        let plan = try #require(dry["plan"] as? [[String: Any]])
        let planned = plan.map { "\($0["table"] as? String ?? "") \($0["partition"] as? String ?? "") \($0["action"] as? String ?? "")" }
        #expect(planned == [
            "events 2024-01-01 skip", "daily 2024-01-01 skip",
            "events 2024-01-02 fail", "daily 2024-01-02 upstream_failed",
            "events 2024-01-03 skip", "daily 2024-01-03 skip",
        ])
        #expect(try Data(contentsOf: URL(fileURLWithPath: project.warehouse)) == bytes)

        let run = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-03"], status: 1)
        let done = try summaryItems(run).map { "\($0["table"] as? String ?? "") \($0["partition"] as? String ?? "") \($0["status"] as? String ?? "")" }
        #expect(Set(done) == [
            "events 2024-01-01 skipped", "daily 2024-01-01 skipped",
            "events 2024-01-02 failed", "daily 2024-01-02 upstream_failed",
            "events 2024-01-03 skipped", "daily 2024-01-03 skipped",
        ])
    }

    @Test("A changed upstream partition: the dry run reloads it and its transform, exactly as the run does")
    func upstreamChange() throws {
        let project = try EventsProject()
        for d in 1...2 { try project.day(d) }
        _ = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-02"])
        try project.day(2, rows: 4)
        let dry = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-02", "--dry-run"])
        let actions = (dry["plan"] as? [[String: Any]] ?? []).map { $0["action"] as? String ?? "" }
        #expect(actions == ["skip", "skip", "reload", "reload"])
        let run = try project.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-02"])
        #expect(counts(run) == ["skipped": 2, "success": 2])
    }

    @Test("An appended file already loaded is planned as a skip, and the run skips it")
    func appendSkip() throws {
        let project = try EventsProject()
        _ = try project.directory.write("data/log.csv", "id,msg\n1,a\n")
        _ = try project.json(["load", "--table", "log"])
        // `events` has no file for the day: that foreseen failure makes the dry run exit 1.
        let dry = try project.json(["run", "--partition", "2024-01-01", "--dry-run"], status: 1)
        let log = (dry["plan"] as? [[String: Any]] ?? []).first { $0["table"] as? String == "log" }
        #expect(log?["action"] as? String == "skip")
        let run = try project.json(["run", "--partition", "2024-01-01"], status: 1)
        #expect(try summaryItems(run).first { $0["table"] as? String == "log" }?["status"] as? String == "skipped")
        #expect(try project.count("SELECT count(*) FROM log") == 1)
    }
}
