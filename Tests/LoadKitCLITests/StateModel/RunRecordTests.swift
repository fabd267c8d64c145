import Foundation
import LoadKit
import Testing

/// Runs and attempts are recorded as they happen, so a killed process leaves them behind, and
/// `rerun` runs again exactly what did not finish (SPEC.md G5, §4).
@Suite struct RunRecordTests {
    @Test("kill -9 after the first commit: the run and its attempt survive, marked interrupted; rerun RUN_ID loads the rest")
    func killedRun() throws {
        let project = try EventsProject()
        for d in 1...3 { try project.day(d) }
        let crashed = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-03", "--quiet"],
                                      environment: ["LOADKIT_FAILPOINT": "after_commit"])
        #expect(crashed.status == 137)
        // Recorded before anyone looks: the run `running`, its first attempt `running`.
        #expect(try project.query("SELECT status FROM _loadkit_runs") == [[.text("running")]])
        #expect(try project.query("SELECT partition_key, status FROM _loadkit_attempts")
                == [[.text("2024-01-01"), .text("running")]])
        #expect(try project.count("SELECT count(*) FROM events") == 3)

        // Any command that looks marks it interrupted.
        let runs = try project.json(["runs"])
        let run = try #require((runs["runs"] as? [[String: Any]])?.first)
        #expect(run["status"] as? String == "interrupted")
        let runID = try #require(run["runId"] as? String)
        #expect(try project.query("SELECT status FROM _loadkit_attempts") == [[.text("interrupted")]])
        // Killed after its commit: status shows the partition loaded (its ledger entry is that
        // run's), not failed; the never-started days are missing.
        let states = try project.states("events", range: ("2024-01-01", "2024-01-03"))
        #expect(states["2024-01-01"]?["state"] as? String == "loaded", "\(states)")
        #expect(states["2024-01-02"]?["state"] as? String == "missing", "\(states)")

        let rerun = try project.json(["rerun", runID])
        #expect(rerun["status"] as? String == "success")
        // The committed day is found loaded (skipped); the two never started are loaded.
        #expect(counts(rerun) == ["skipped": 1, "success": 2])
        #expect(try project.count("SELECT count(*) FROM events") == 9)
        #expect(try project.count("SELECT count(*) FROM _loadkit_ledger WHERE table_name = 'events'") == 3)
    }

    @Test("rerun --failed after a crash finds the crashed task and the never-started ones")
    func rerunFailedAfterCrash() throws {
        let project = try EventsProject()
        for d in 1...2 { try project.day(d) }
        let crashed = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-02", "--quiet"],
                                      environment: ["LOADKIT_FAILPOINT": "after_staging"])
        #expect(crashed.status == 137)
        let rerun = try project.json(["rerun", "--failed"])
        #expect(counts(rerun) == ["success": 2])
        #expect(try project.count("SELECT count(*) FROM events") == 6)
    }

    @Test("rerun of a failed `load --input FILE` reloads that FILE, not the table's template")
    func rerunInput() throws {
        let project = try EventsProject()
        try FileManager.default.createDirectory(atPath: project.directory.path("extra"), withIntermediateDirectories: true)
        let file = try project.directory.write("extra/all.csv", "id,ts,v,tag\n1,2024-01-01T10:00:00Z,abc,a\n2,2024-01-02T10:00:00Z,2,b\n")
        let failed = try project.run(["load", "--table", "events", "--input", file])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("line 2, column v"))
        let runID = try #require((try project.json(["runs"])["runs"] as? [[String: Any]])?.first?["runId"] as? String)
        _ = try project.directory.write("extra/all.csv", "id,ts,v,tag\n1,2024-01-01T10:00:00Z,1,a\n2,2024-01-02T10:00:00Z,2,b\n")
        let rerun = try project.json(["rerun", runID])
        #expect(rerun["status"] as? String == "success")
        #expect(counts(rerun) == ["success": 1])
        #expect(try project.count("SELECT count(*) FROM events") == 2)
        #expect((try project.json(["rerun", "--failed"])["items"] as? [Any])?.isEmpty == true)
    }

    @Test("A failure superseded by a later success, or dismissed, stops counting in status and rerun --failed")
    func superseded() throws {
        let project = try EventsProject()
        try project.day(1)
        try project.day(2, value: "oops")
        let failed = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-02"], status: 1)
        let runID = try #require(failed["runId"] as? String)
        var states = try project.states("events")
        #expect(states["2024-01-02"]?["state"] as? String == "failed")
        #expect(states["2024-01-02"]?["kept"] as? Bool == false)

        let dismissed = try project.json(["runs", "dismiss", runID])
        #expect(dismissed["runId"] as? String == runID)
        states = try project.states("events", range: ("2024-01-01", "2024-01-02"))
        #expect(states["2024-01-02"]?["state"] as? String == "missing")
        let nothing = try project.json(["rerun", "--failed"])
        #expect((nothing["items"] as? [Any])?.isEmpty == true)
        // The history keeps it.
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'failed'") == 1)
    }

    @Test("A failed partition says it keeps the rows of its earlier load, and how many")
    func keptRows() throws {
        let project = try EventsProject()
        try project.day(1)
        _ = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01"])
        try project.day(1, rows: 5, value: "bad")
        _ = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01"], status: 1)
        let state = try #require(try project.states("events")["2024-01-01"])
        #expect(state["state"] as? String == "failed")
        #expect(state["kept"] as? Bool == true)
        #expect(state["rows"] as? Int == 3)
        let text = try project.run(["status", "--table", "events"])
        #expect(text.stdout.contains("failed 2024-01-01 (keeps 3 rows of the load at "))
    }
}
