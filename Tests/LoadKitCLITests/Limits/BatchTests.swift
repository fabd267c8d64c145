import Foundation
import LoadKit
import Testing

/// A table's `batch: N` (issue 12 §4): up to N consecutive partitions commit in one
/// transaction, each with its own ledger entry, fingerprint and attempt; a bad row fails only
/// its batch, which is then retried partition by partition.
@Suite struct BatchTests {
    /// `events` with `batch: 5` and days 1 to 5 (3 rows each).
    private func project(batch: Int = 5) throws -> EventsProject {
        var definition = EventsProject.Definition()
        definition.eventsExtra = "    batch: \(batch)"
        let project = try EventsProject(definition)
        for d in 1...5 { try project.day(d) }
        return project
    }

    private let backfill = ["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-05"]

    @Test("A batch of 5 days with one bad file: 4 land, 1 fails naming file, line and column; rerun loads just it")
    func badPartition() throws {
        let project = try project()
        try project.day(3, value: "abc")
        let failed = try project.json(backfill, status: 1)
        #expect(failed["status"] as? String == "failed")
        #expect(counts(failed) == ["success": 4, "failed": 1])
        #expect(try project.loadedDays() == ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"])
        #expect(try project.count("SELECT count(*) FROM events") == 12)
        #expect(try project.count("SELECT count(*) FROM events WHERE day = '2024-01-03'") == 0)

        // One attempt per partition: the good ones succeeded, the bad one failed with its place.
        let runID = try #require(failed["runId"] as? String)
        let attempts = try project.query("SELECT partition_key, attempt, status, rows, error FROM _loadkit_attempts "
            + "WHERE run_id = '\(runID)' ORDER BY partition_key, attempt")
        #expect(attempts.map { [$0[0], $0[1], $0[2]] } == [
            [.text("2024-01-01"), .integer(1), .text("success")],
            [.text("2024-01-02"), .integer(1), .text("success")],
            [.text("2024-01-03"), .integer(1), .text("failed")],
            [.text("2024-01-04"), .integer(1), .text("success")],
            [.text("2024-01-05"), .integer(1), .text("success")],
        ])
        let error = attempts[2][4].textValue ?? ""
        #expect(error.contains("data/2024-01-03.csv, line 2, column v"), "\(error)")
        #expect(attempts.filter { $0[2] == .text("success") }.allSatisfy { $0[3] == .integer(3) })
        // Each landed partition has its own entry and fingerprint, equal to its rows'.
        for day in ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"] {
            let report = try project.json(["fingerprint", "--table", "events", "--partition", day])
            let entry = try project.query("SELECT fingerprint, rows FROM _loadkit_ledger "
                + "WHERE table_name = 'events' AND partition_key = '\(day)'")
            #expect(entry.count == 1)
            #expect(entry.first?[0].textValue == report["fingerprint"] as? String, "\(day)")
            #expect(entry.first?[1] == .integer(3))
        }
        let ledgerBefore = try project.query("SELECT * FROM _loadkit_ledger ORDER BY partition_key")

        // Fixed: rerun --failed loads that one partition and nothing else.
        try project.day(3)
        let rerun = try project.json(["rerun", "--failed"])
        #expect(counts(rerun) == ["success": 1])
        #expect((rerun["items"] as? [[String: Any]])?.first?["partition"] as? String == "2024-01-03")
        #expect(try project.loadedDays().count == 5)
        #expect(try project.count("SELECT count(*) FROM events") == 15)
        let ledgerAfter = try project.query("SELECT * FROM _loadkit_ledger WHERE partition_key <> '2024-01-03' "
            + "ORDER BY partition_key")
        #expect(ledgerAfter == ledgerBefore)
    }

    @Test("The partitions of a batch commit together: a crash right after the first commit leaves all 5 loaded")
    func oneTransaction() throws {
        let batched = try project()
        let crashed = try batched.run(backfill + ["--quiet"],
                                      environment: ["LOADKIT_FAILPOINT": "after_commit", "LOADKIT_FAILPOINT_TIMES": "1"])
        #expect(crashed.status == 137)
        #expect(try batched.loadedDays().count == 5)
        #expect(try batched.count("SELECT count(*) FROM events") == 15)

        // Without batch: the same crash leaves one day.
        let single = try project(batch: 1)
        let alone = try single.run(backfill + ["--quiet"],
                                   environment: ["LOADKIT_FAILPOINT": "after_commit", "LOADKIT_FAILPOINT_TIMES": "1"])
        #expect(alone.status == 137)
        #expect(try single.loadedDays() == ["2024-01-01"])
        // Both end with the same table once loaded again.
        _ = try batched.json(backfill)
        _ = try single.json(backfill)
        #expect(try batched.fingerprint("events") == (try single.fingerprint("events")))
    }

    @Test("A batched backfill again skips every unchanged partition and reloads only a changed one")
    func skipsUnchanged() throws {
        let project = try project()
        #expect(counts(try project.json(backfill)) == ["success": 5])
        #expect(counts(try project.json(backfill)) == ["skipped": 5])
        try project.day(4, rows: 6)
        #expect(counts(try project.json(backfill)) == ["skipped": 4, "success": 1])
        #expect(try project.count("SELECT count(*) FROM events") == 18)
        #expect(try project.count("SELECT count(*) FROM _loadkit_ledger WHERE table_name = 'events'") == 5)
    }

    @Test("A bad batch exits 64 naming the key", arguments: [
        ("events", "0", "out of range"),
        ("events", "many", "whole number"),
        ("log", "5", "partitioned replace table"),
        ("daily", "5", "partitioned replace table"),
    ])
    func invalid(table: String, value: String, fact: String) throws {
        let project = try EventsProject()
        var text = try String(contentsOfFile: project.config, encoding: .utf8)
        let anchor = ["events": "    write: replace\n", "log": "    write: append\n", "daily": "    depends_on: [events]\n"][table]!
        text = text.replacingOccurrences(of: anchor, with: anchor + "    batch: \(value)\n")
        _ = try project.directory.write("loadkit.yml", text)
        let result = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--json"])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        let error = try parseObject(result.stdout)["error"] as? [String: Any]
        #expect(error?["key"] as? String == "tables.\(table).batch", "stdout: \(result.stdout)")
        #expect((error?["message"] as? String ?? "").contains(fact), "stdout: \(result.stdout)")
    }
}
