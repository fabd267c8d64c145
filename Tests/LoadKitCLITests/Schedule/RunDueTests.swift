import Foundation
import Testing

/// `loadkit run --due` (SPEC.md §9): what is due comes from partition boundaries and the
/// ledger, never from when it is called; time comes from `LOADKIT_NOW`.
@Suite struct RunDueTests {
    @Test("Missed calls catch up, repeated calls do nothing, and the warehouse ends the same")
    func missedAndRepeated() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01, delay: 1h")
        for d in 1...4 { try project.day(d) }
        // 00:59 on the 2nd: day 1 ended 59 minutes ago, not due yet.
        #expect(try project.duePlan(at: "2024-01-02T00:59:59Z") == [])
        let first = try project.due(at: "2024-01-02T01:00:00Z")
        #expect(counts(first) == ["success": 1])
        #expect(try project.loadedDays() == ["2024-01-01"])
        // Three days of missed ticks: one call loads all three.
        let late = try project.due(at: "2024-01-05T03:00:00Z")
        #expect(counts(late) == ["success": 3])
        #expect(try project.loadedDays() == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
        let runs = try project.count("SELECT count(*) FROM _loadkit_runs")
        // The same tick again: nothing due, no run recorded, nothing changed.
        let again = try project.due(at: "2024-01-05T03:00:00Z")
        #expect(again["runId"] is NSNull)
        #expect(try project.count("SELECT count(*) FROM _loadkit_runs") == runs)
        #expect(try project.count("SELECT count(*) FROM events") == 12)

        // One call after the same downtime, in a fresh warehouse: the same fingerprint.
        let other = try EventsProject.scheduled("start: 2024-01-01, delay: 1h")
        for d in 1...4 { try other.day(d) }
        _ = try other.due(at: "2024-01-05T03:00:00Z")
        #expect(try other.fingerprint("events") == (try project.fingerprint("events")))
    }

    @Test("catch_up bounds each call, oldest first; the rest comes with the next calls")
    func catchUp() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01, catch_up: 2")
        for d in 1...5 { try project.day(d) }
        let now = "2024-01-06T00:00:00Z"
        #expect(try project.duePlan(at: now) == ["events 2024-01-01 load", "events 2024-01-02 load"])
        _ = try project.due(at: now)
        #expect(try project.loadedDays() == ["2024-01-01", "2024-01-02"])
        _ = try project.due(at: now)
        #expect(try project.loadedDays() == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
        _ = try project.due(at: now)
        #expect(try project.loadedDays().count == 5)
        #expect(try project.duePlan(at: now) == [])
    }

    @Test("lookback reloads the newest loaded partitions whose file changed, and only those")
    func lookback() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01, lookback: 2")
        for d in 1...4 { try project.day(d) }
        let now = "2024-01-05T00:00:00Z"
        _ = try project.due(at: now)
        try project.day(4, rows: 5)   // late data for the newest day
        try project.day(1, rows: 5)   // a change outside the lookback window
        #expect(try project.duePlan(at: now) == ["events 2024-01-04 reload"])
        let summary = try project.due(at: now)
        #expect(counts(summary) == ["success": 1])
        #expect(try project.count("SELECT count(*) FROM events WHERE day = '2024-01-04'") == 5)
        #expect(try project.count("SELECT count(*) FROM events WHERE day = '2024-01-01'") == 3)
        #expect(try project.duePlan(at: now) == [])
    }

    @Test("Day partitions in America/New_York are due delay after their own end, on 23- and 25-hour days",
          arguments: [("2024-03-10", "2024-03-11T06:00:00Z"), ("2024-11-03", "2024-11-04T07:00:00Z")])
    func dayAcrossDST(day: String, dueAt: String) throws {
        let project = try EventsProject.scheduled("start: \(day), delay: 2h", timezone: "America/New_York")
        let instant = try #require(ISO8601DateFormatter().date(from: dueAt))
        let before = ISO8601DateFormatter().string(from: instant.addingTimeInterval(-1))
        #expect(try project.duePlan(at: before) == [])
        #expect(try project.duePlan(at: dueAt) == ["events \(day) wait"])
    }

    @Test("Hour partitions in America/New_York: a spring-forward day has 23 due hours, a fall-back day 25",
          arguments: [("2024-03-10", "2024-03-11T04:00:00Z", 23), ("2024-11-03", "2024-11-04T05:00:00Z", 25)])
    func hourAcrossDST(day: String, end: String, hours: Int) throws {
        let project = try EventsProject.scheduled("start: \(day)", granularity: "hour", timezone: "America/New_York",
                                                  sourcePath: "data/{key}.csv")
        let plan = try project.duePlan(at: end)
        #expect(plan.count == hours)
        #expect(plan.allSatisfy { $0.hasPrefix("events \(day)T") && $0.hasSuffix(" wait") })
        #expect(Set(plan).count == hours)
        let instant = try #require(ISO8601DateFormatter().date(from: end))
        #expect(try project.duePlan(at: ISO8601DateFormatter().string(from: instant.addingTimeInterval(-1))).count == hours - 1)
    }

    @Test("Hour partitions load through a fall-back day: both 01:00 hours land, each once")
    func hourLoadsFallBack() throws {
        let project = try EventsProject.scheduled("start: 2024-11-03", granularity: "hour", timezone: "America/New_York",
                                                  sourcePath: "data/{key}.csv")
        let plan = try project.duePlan(at: "2024-11-04T05:00:00Z")
        for (i, step) in plan.enumerated() {
            let key = step.split(separator: " ")[1]
            // 2024-11-03T01:00-04:00 → the instant 2024-11-03T01:00:00-04:00.
            let instant = key.dropLast(6) + ":00" + key.suffix(6)
            _ = try project.directory.write("data/\(key).csv", "id,ts,v,tag\n\(i),\(instant),1.0,x\n")
        }
        let summary = try project.due(at: "2024-11-04T05:00:00Z")
        #expect(counts(summary) == ["success": 25])
        #expect(try project.count("SELECT count(*) FROM events") == 25)
        #expect(try project.count("SELECT count(*) FROM events WHERE day LIKE '2024-11-03T01:00%'") == 2)
        #expect(try project.duePlan(at: "2024-11-04T06:00:00Z") == ["events 2024-11-04T00:00-05:00 wait"])
    }

    @Test("A second run --due while one is active exits 75 naming the active run; the first completes")
    func overlap() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01")
        for d in 1...2 { try project.day(d) }
        let first = try project.start(["run", "--due", "--json", "--quiet"],
                                      environment: ["LOADKIT_NOW": "2024-01-03T00:00:00Z",
                                                    "LOADKIT_FAILPOINT": "after_staging:sleep=3s"])
        project.waitForHeldLock()
        let second = try project.run(["run", "--due", "--json"], environment: ["LOADKIT_NOW": "2024-01-03T00:00:00Z"])
        let done = first.wait()
        #expect(second.status == 75, "stderr: \(second.stderr)")
        let runID = try #require(try parseObject(done.stdout)["runId"] as? String)
        #expect(second.stderr.contains("another `loadkit run --due` is active: run \(runID) (pid "), "stderr: \(second.stderr)")
        let error = try parseObject(second.stdout)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "busy")
        #expect(done.status == 0, "stderr: \(done.stderr)")
        #expect(try project.loadedDays() == ["2024-01-01", "2024-01-02"])
        #expect(try project.count("SELECT count(*) FROM _loadkit_runs") == 1)
    }

    @Test("--table runs one scheduled table; a table without a schedule is a usage error")
    func tableFilter() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01")
        try project.day(1)
        #expect(try project.duePlan(at: "2024-01-02", ["--table", "events"]) == ["events 2024-01-01 load"])
        let result = try project.run(["run", "--due", "--table", "daily"], environment: ["LOADKIT_NOW": "2024-01-02"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("table 'daily' has no schedule"), "stderr: \(result.stderr)")
    }
}
