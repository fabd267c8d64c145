import Foundation
import LoadKitTesting
import Testing

/// A bad input file fails its partition only; `runs --failed` explains it; `rerun` repairs it.
@Suite struct FailureAndRerunTests {
    /// 2013-01-07, line 100 (the header is line 1): `dep_delay` becomes `abc`.
    static let badDay = "2013-01-07"
    static let message = "data/flights-2013-01-07.csv, line 100, column dep_delay: 'abc' is not a real number"

    private func brokenWorkspace() throws -> ExampleWorkspace {
        let workspace = try ExampleWorkspace()
        try workspace.corrupt(day: Self.badDay, line: 100, column: "dep_delay", with: "abc")
        return workspace
    }

    @Test("A bad value fails its day (exit 1) with file, line and column; the other 30 days load")
    func badDayFails() throws {
        let workspace = try brokenWorkspace()
        let summary = try workspace.backfillJanuary(status: 1)
        #expect(summary["status"] as? String == "failed")
        #expect(counts(summary) == ["success": 31, "failed": 1])
        #expect(summary["rows"] as? Int == 27_004 + 16 - 933)
        let failed = try #require(try summaryItems(summary).first { $0["status"] as? String == "failed" })
        #expect(failed["table"] as? String == "flights")
        #expect(failed["partition"] as? String == Self.badDay)
        #expect(failed["attempts"] as? Int == 1, "bad data is terminal: not retried")
        #expect(failed["rows"] as? Int == 0)
        #expect(failed["message"] as? String == Self.message)

        let entries = try ledger(workspace.warehouse, table: "flights")
        #expect(entries.count == 30)
        #expect(entries[Self.badDay] == nil)
        let empty = try workspace.json(["fingerprint", "--table", "flights", "--partition", Self.badDay])
        #expect(empty["rows"] as? Int == 0)

        let status = try workspace.json(["status", "--table", "flights"])
        #expect(counts(status) == ["loaded": 30, "failed": 1])
        let partitions = try #require(status["partitions"] as? [[String: Any]])
        let day = try #require(partitions.first { $0["partition"] as? String == Self.badDay })
        #expect(day["state"] as? String == "failed")
        #expect(day["error"] as? String == Self.message)
        #expect(isNull(day["rows"]))
    }

    @Test("The text summary of a failed backfill names the failed day and its error")
    func failedText() throws {
        let workspace = try brokenWorkspace()
        let result = try workspace.run(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31"])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("backfill flights 2013-01-01..2013-01-31: 31 loaded, 0 skipped, 1 failed (26087 rows) in "))
        #expect(lines[1] == "  FAILED flights 2013-01-07 after 1 attempt: \(Self.message)")
        #expect(lines[2].hasPrefix("run ") && lines[2].hasSuffix(": failed"))
    }

    @Test("runs --failed lists the failed run with `file, line N, column dep_delay: …`")
    func runsFailed() throws {
        let workspace = try brokenWorkspace()
        let summary = try workspace.backfillJanuary(status: 1)
        let runID = try #require(summary["runId"] as? String)
        // A successful run too, which --failed leaves out.
        _ = try workspace.json(["load", "--table", "airlines"])

        let text = try workspace.run(["runs", "--failed"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("\(runID)  failed       ") == true)
        #expect(lines.first?.hasSuffix("  loadkit backfill --table flights --from 2013-01-01 --to 2013-01-31 --quiet --json --config \(workspace.config)") == true)
        #expect(lines.last == "  failed          flights 2013-01-07 attempt 1: \(Self.message)")

        let json = try workspace.json(["runs", "--failed"])
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs.first?["runId"] as? String == runID)
        let failures = try #require(runs.first?["failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures.first?["error"] as? String == Self.message)
        #expect(failures.first?["partition"] as? String == Self.badDay)

        let all = try workspace.json(["runs"])
        #expect((all["runs"] as? [[String: Any]])?.count == 2)
    }

    @Test("rerun --failed after repairing the file loads the day (exit 0); status shows no failure")
    func rerunAfterRepair() throws {
        let workspace = try brokenWorkspace()
        _ = try workspace.backfillJanuary(status: 1)
        let loaded = try ledger(workspace.warehouse, table: "flights")

        // Not repaired yet: fails again, exit 1, same message.
        let again = try workspace.json(["rerun", "--failed", "--quiet"], status: 1)
        #expect(counts(again) == ["failed": 1])
        #expect(try summaryItems(again).first?["message"] as? String == Self.message)

        try workspace.repair(day: Self.badDay)
        let rerun = try workspace.json(["rerun", "--failed", "--quiet"])
        #expect(rerun["status"] as? String == "success")
        #expect(counts(rerun) == ["success": 1])
        let item = try #require(try summaryItems(rerun).first)
        #expect(item["table"] as? String == "flights")
        #expect(item["partition"] as? String == Self.badDay)
        #expect(item["rows"] as? Int == 933)

        let entries = try ledger(workspace.warehouse, table: "flights")
        #expect(entries.count == 31)
        #expect(entries[Self.badDay]?.rows == 933)
        for (day, entry) in loaded { #expect(entries[day] == entry, "rerun touched \(day)") }

        let status = try workspace.run(["status", "--table", "flights"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("\n31 loaded, 0 failed, 0 missing, 0 stale\n"))
        #expect(!status.stdout.contains("failed 2013-01-07"))
        #expect(status.stdout.contains("\n 7■  8■  9■ 10■ 11■ 12■ 13■\n"))

        // Nothing failed any more: nothing to re-run, exit 0.
        let nothing = try workspace.run(["rerun", "--failed"])
        #expect(nothing.status == 0)
        #expect(nothing.stdout == "nothing failed; nothing to re-run\n")
    }

    @Test("rerun RUN_ID re-runs that run's failed task and records the run as its parent")
    func rerunByID() throws {
        let workspace = try brokenWorkspace()
        let failed = try workspace.backfillJanuary(status: 1)
        let runID = try #require(failed["runId"] as? String)
        try workspace.repair(day: Self.badDay)

        let rerun = try workspace.json(["rerun", runID, "--quiet"])
        #expect(counts(rerun) == ["success": 1])
        let newID = try #require(rerun["runId"] as? String)
        let shown = try workspace.json(["runs", "show", newID])
        let run = try #require(shown["run"] as? [String: Any])
        #expect(run["parentRunId"] as? String == runID)
        #expect(run["command"] as? String == "rerun")
        #expect(run["status"] as? String == "success")
    }

    @Test("A replace that fails keeps the partition's previous rows (atomic)")
    func failedReloadKeepsOldData() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.backfillJanuary()
        let before = try workspace.json(["fingerprint", "--table", "flights", "--partition", Self.badDay])
        #expect(before["rows"] as? Int == 933)

        try workspace.corrupt(day: Self.badDay, line: 100, column: "dep_delay", with: "abc")
        let summary = try workspace.backfillJanuary(status: 1)
        #expect(counts(summary) == ["skipped": 31, "failed": 1])
        let after = try workspace.json(["fingerprint", "--table", "flights", "--partition", Self.badDay])
        #expect(after["fingerprint"] as? String == before["fingerprint"] as? String)
        #expect(after["rows"] as? Int == 933)

        // Failed after it was loaded: status says failed and still knows the loaded rows.
        let status = try workspace.json(["status", "--table", "flights"])
        let day = try #require((status["partitions"] as? [[String: Any]])?.first { $0["partition"] as? String == Self.badDay })
        #expect(day["state"] as? String == "failed")
        #expect(day["rows"] as? Int == 933)
        #expect(day["error"] as? String == Self.message)
    }

    @Test("A failed upstream table marks every day upstream_failed; none of them is attempted")
    func upstreamFailed() throws {
        let workspace = try ExampleWorkspace()
        let airlines = workspace.directory.path("data/airlines.csv")
        try "carrier,name\n9E,Endeavor Air Inc.,extra\n".write(toFile: airlines, atomically: true, encoding: .utf8)
        let summary = try workspace.backfillJanuary(status: 1)
        #expect(counts(summary) == ["failed": 1, "upstream_failed": 31])
        let all = try summaryItems(summary)
        let failed = try #require(all.first { $0["status"] as? String == "failed" })
        #expect(failed["table"] as? String == "airlines")
        #expect((failed["message"] as? String)?.hasPrefix("data/airlines.csv, line 2") == true)
        let downstream = all.filter { $0["status"] as? String == "upstream_failed" }
        #expect(downstream.allSatisfy { $0["attempts"] as? Int == 0 && $0["message"] as? String == "upstream task airlines failed" })
        #expect(FileManager.default.fileExists(atPath: workspace.warehouse))
        #expect(try ledger(workspace.warehouse, table: "flights").isEmpty)
    }
}
