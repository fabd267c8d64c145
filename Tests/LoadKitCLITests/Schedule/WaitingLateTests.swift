import Foundation
import Testing

/// A due partition whose source is not there yet is `waiting`, then `late` after
/// `expected_by` (SPEC.md §9); `status --check` is the monitor's exit code.
@Suite struct WaitingLateTests {
    @Test("Waiting, not failed: no attempt, no retry; late after expected_by; loaded once the file arrives")
    func waitingThenLate() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01, delay: 1h, expected_by: 6h")
        for d in 1...2 { try project.day(d) }
        let early = try project.due(at: "2024-01-04T02:00:00Z")
        #expect(counts(early) == ["success": 2])
        let waiting = early["waiting"] as? [[String: Any]] ?? []
        #expect(waiting.map { "\($0["partition"] ?? "") \($0["state"] ?? "")" } == ["2024-01-03 waiting"])
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE partition_key = '2024-01-03'") == 0)
        let report = try project.json(["status", "--table", "events"], environment: ["LOADKIT_NOW": "2024-01-04T02:00:00Z"])
        let third = (report["partitions"] as? [[String: Any]] ?? []).first { $0["partition"] as? String == "2024-01-03" }
        #expect(third?["state"] as? String == "waiting")
        #expect(third?["reason"] as? String == "source file not found yet: data/2024-01-03.csv")
        #expect((report["partitions"] as? [[String: Any]])?.count == 3)
        let ok = try project.run(["status", "--check"], environment: ["LOADKIT_NOW": "2024-01-04T02:00:00Z"])
        #expect(ok.status == 0, "stdout: \(ok.stdout)")

        // 06:00 after the end of the 3rd: late.
        let now = "2024-01-04T06:00:00Z"
        let late = try project.due(at: now)
        #expect((late["waiting"] as? [[String: Any]])?.first?["state"] as? String == "late")
        let check = try project.run(["status", "--check", "--json"], environment: ["LOADKIT_NOW": now])
        #expect(check.status == 1)
        let problems = try parseObject(check.stdout)["problems"] as? [[String: Any]] ?? []
        #expect(problems.map { "\($0["table"] ?? "") \($0["partition"] ?? "") \($0["state"] ?? "")" } == ["events 2024-01-03 late"])
        let text = try project.run(["status", "--table", "events"], environment: ["LOADKIT_NOW": now])
        #expect(text.stdout.contains("1 late"), "stdout: \(text.stdout)")
        #expect(text.stdout.contains("late 2024-01-03: source file not found yet: data/2024-01-03.csv"))

        try project.day(3)
        #expect(counts(try project.due(at: now)) == ["success": 1])
        #expect(try project.run(["status", "--check"], environment: ["LOADKIT_NOW": now]).status == 0)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'failed'") == 0)
    }

    @Test("status --check exits 1 for a failed partition of an unscheduled table too, and names it")
    func checkFailed() throws {
        let project = try EventsProject()
        try project.day(1)
        try project.day(2, value: "abc")
        _ = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-02"], status: 1)
        let check = try project.run(["status", "--check"])
        #expect(check.status == 1)
        #expect(check.stdout.hasPrefix("failed events 2024-01-02: "), "stdout: \(check.stdout)")
        #expect(try project.run(["status", "--check", "--table", "daily"]).status == 0)
    }
}
