import Foundation
import LoadKit
import Testing

/// A table's `timeout:` (issue 12 §4): an attempt running longer is cancelled, counts as a
/// transient failure (retried), and leaves the target and the ledger as they were. The slow
/// attempt is made by a failpoint sleep of 30 s; nothing in the test sleeps.
@Suite struct TimeoutTests {
    /// `events` with `timeout: 1s` and two attempts, day 1 loaded (3 rows), then its file
    /// changed to 5 rows, so the next load has work to do.
    private func project() throws -> EventsProject {
        var definition = EventsProject.Definition()
        definition.retry = "{ attempts: 2, initial_delay: 0s }"
        definition.eventsExtra = "    timeout: 1s"
        let project = try EventsProject(definition)
        try project.day(1)
        _ = try project.json(["load", "--table", "events", "--partition", "2024-01-01"])
        try project.day(1, rows: 5)
        return project
    }

    @Test("An attempt past its timeout is cancelled, retried, then failed; target and ledger unchanged",
          arguments: [
              // Direct replace: sleeps inside the open write transaction, its rows written.
              "before_commit:sleep=30s",
              // Staged: sleeps holding the partition lock, the rows in the staging table.
              "after_staging:sleep=30s",
          ])
    func cancelled(failpoint: String) throws {
        let project = try project()
        let ledgerBefore = try project.query("SELECT * FROM _loadkit_ledger ORDER BY table_name, load_id")
        let fingerprintBefore = try project.fingerprint("events")

        let started = ContinuousClock.now
        let result = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01",
                                      "--json", "--quiet"],
                                     environment: ["LOADKIT_FAILPOINT": failpoint])
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 1, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        // Two attempts of about 1 s each, not two failpoint sleeps of 30 s.
        #expect(elapsed < .seconds(20), "took \(elapsed)")

        let attempts = try project.query("""
            SELECT attempt, status, error FROM _loadkit_attempts
            WHERE table_name = 'events' AND partition_key = '2024-01-01' AND run_id = (
                SELECT run_id FROM _loadkit_runs ORDER BY started_at DESC, rowid DESC LIMIT 1)
            ORDER BY attempt
            """)
        #expect(attempts.count == 2, "\(attempts)")
        for (i, attempt) in attempts.enumerated() {
            #expect(attempt[0] == .integer(Int64(i + 1)))
            #expect(attempt[1] == .text("failed"))
            let error = attempt[2].textValue ?? ""
            #expect(error.contains("table events, partition 2024-01-01"), "\(error)")
            #expect(error.contains("ran past its timeout of 1 s"), "\(error)")
        }
        let summary = try parseObject(result.stdout)
        let failures = (summary["items"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "failed" }
        #expect(failures.count == 1)
        #expect(failures.first?["attempts"] as? Int == 2, "\(failures)")

        // Exactly as before: the 3 rows of the first load, its ledger entry, no staging left.
        #expect(try project.count("SELECT count(*) FROM events") == 3)
        #expect(try project.fingerprint("events") == fingerprintBefore)
        #expect(try project.query("SELECT * FROM _loadkit_ledger ORDER BY table_name, load_id") == ledgerBefore)
        #expect(try project.count("SELECT count(*) FROM sqlite_master WHERE name LIKE '_loadkit_stg_%'") == 0)

        // Without the failpoint the same load fits in its timeout.
        let again = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(counts(again) == ["success": 1])
        #expect(try project.count("SELECT count(*) FROM events") == 5)
    }

    @Test("An attempt that times out once and then fits is retried into success")
    func retriedIntoSuccess() throws {
        let project = try project()
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01"],
                                       environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=30s",
                                                     "LOADKIT_FAILPOINT_TIMES": "1"])
        #expect(counts(summary) == ["success": 1])
        #expect(try project.query("SELECT attempt, status FROM _loadkit_attempts WHERE rows IS NOT 3 ORDER BY rowid")
                == [[.integer(1), .text("failed")], [.integer(2), .text("success")]])
        #expect(try project.count("SELECT count(*) FROM events") == 5)
    }

    @Test("A bad timeout exits 64 naming the key", arguments: [
        ("soon", "is not a duration"),
        ("10", "has no unit"),
        ("0s", "longer than 0s"),
    ])
    func invalid(value: String, fact: String) throws {
        var definition = EventsProject.Definition()
        definition.eventsExtra = "    timeout: \(value)"
        let project = try EventsProject(definition)
        let result = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--json"])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        let error = try parseObject(result.stdout)["error"] as? [String: Any]
        #expect(error?["key"] as? String == "tables.events.timeout", "stdout: \(result.stdout)")
        #expect((error?["message"] as? String ?? "").contains(fact), "stdout: \(result.stdout)")
    }
}
