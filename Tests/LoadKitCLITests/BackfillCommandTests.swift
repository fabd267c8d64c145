import Foundation
import LoadKitTesting
import Testing

/// `loadkit backfill` over the bundled January 2013 example: counts, ledger, skips and --force.
@Suite struct BackfillCommandTests {
    static let days = ExampleWorkspace.januaryDays

    /// The fingerprint (v2) of 2013-01-01 (842 rows) and of all of January (27,004 rows): they
    /// are stored in ledgers, so a change to the fingerprint makes every existing partition look
    /// different. Pinned here on purpose; a new algorithm needs a new version (README,
    /// "Fingerprints"). Computed independently from the stored rows with the mmh3 Python
    /// package; in v1 they were 77611f4d8b9df70dbe4275dfdc2ea793 and
    /// 11db0be1cc96766cde3ac6250eddd842.
    static let firstDayFingerprint = "4bd45322b7aded6675bafeb73f976cb1"
    static let januaryFingerprint = "5dbd667b3e06f4605f78aa5568657539"

    @Test("A January backfill loads airlines then 31 days with each file's exact row count")
    func januaryBackfill() throws {
        let workspace = try ExampleWorkspace()
        let summary = try workspace.backfillJanuary()
        #expect(summary["status"] as? String == "success")
        #expect(counts(summary) == ["success": 32])
        #expect(summary["rows"] as? Int == 27_004 + 16)
        #expect(summary["notStarted"] as? Int == 0)
        let items = try summaryItems(summary)
        // The upstream table first (depends_on), then flights; the downstream transform is not planned.
        #expect(items.first?["table"] as? String == "airlines")
        #expect(isNull(items.first?["partition"]))
        #expect(items.first?["rows"] as? Int == 16)
        #expect(!items.contains { $0["table"] as? String == "daily_delays" })
        let flights = items.filter { $0["table"] as? String == "flights" }
        #expect(Set(flights.compactMap { $0["partition"] as? String }) == Set(Self.days))
        for day in Self.days {
            let item = try #require(flights.first { $0["partition"] as? String == day })
            #expect(item["rows"] as? Int == (try ExampleWorkspace.exampleRows(day)), "\(day)")
            #expect(item["attempts"] as? Int == 1)
            #expect(isNull(item["message"]))
        }
        #expect(flights.first { $0["partition"] as? String == "2013-01-01" }?["rows"] as? Int == 842)

        // The ledger has one entry per day, with the day's rows and its own fingerprint.
        let entries = try ledger(workspace.warehouse, table: "flights")
        #expect(entries.keys.sorted() == Self.days)
        for day in Self.days {
            #expect(entries[day]?.rows == (try ExampleWorkspace.exampleRows(day)), "\(day)")
            #expect(entries[day]?.runID == summary["runId"] as? String)
        }
        #expect(Set(entries.values.map(\.fingerprint)).count == 31)
        #expect(entries["2013-01-01"]?.fingerprint == Self.firstDayFingerprint)
        #expect(try ledger(workspace.warehouse, table: "airlines")[""]?.rows == 16)

        // `fingerprint` recomputes from the stored rows what the ledger recorded.
        let first = try workspace.json(["fingerprint", "--table", "flights", "--partition", "2013-01-01"])
        #expect(first["fingerprint"] as? String == Self.firstDayFingerprint)
        #expect(first["rows"] as? Int == 842)
        let whole = try workspace.json(["fingerprint", "--table", "flights"])
        #expect(whole["rows"] as? Int == 27_004)
        #expect(whole["fingerprint"] as? String == Self.januaryFingerprint)
    }

    @Test("Backfilling again skips all 32 tasks and writes nothing; --force reloads to the same fingerprints")
    func againAndForce() throws {
        let workspace = try ExampleWorkspace()
        let first = try workspace.backfillJanuary()
        let loaded = try ledger(workspace.warehouse, table: "flights")

        let again = try workspace.backfillJanuary()
        #expect(again["status"] as? String == "success")
        #expect(counts(again) == ["skipped": 32])
        #expect(again["rows"] as? Int == 0)
        let skipped = try summaryItems(again)
        #expect(skipped.count == 32)
        #expect(skipped.allSatisfy { $0["message"] as? String == "already loaded from an unchanged source" })
        #expect(skipped.allSatisfy { $0["rows"] as? Int == 0 && $0["attempts"] as? Int == 1 })
        // Skipped means untouched: same entries, still those of the first run.
        #expect(try ledger(workspace.warehouse, table: "flights") == loaded)

        let forced = try workspace.backfillJanuary(["--force"])
        #expect(forced["status"] as? String == "success")
        #expect(counts(forced) == ["success": 32])
        #expect(forced["rows"] as? Int == 27_020)
        let reloaded = try ledger(workspace.warehouse, table: "flights")
        #expect(reloaded.keys.sorted() == Self.days)
        for day in Self.days {
            #expect(reloaded[day]?.fingerprint == loaded[day]?.fingerprint, "\(day)")
            #expect(reloaded[day]?.rows == loaded[day]?.rows, "\(day)")
            #expect(reloaded[day]?.runID == forced["runId"] as? String, "\(day) was not rewritten by the forced run")
        }
        #expect(forced["runId"] as? String != first["runId"] as? String)
        let whole = try workspace.json(["fingerprint", "--table", "flights"])
        #expect(whole["fingerprint"] as? String == Self.januaryFingerprint)
        #expect(try runCount(workspace.warehouse) == 3)
    }

    @Test("A changed source file is reloaded by the next backfill; the other days are skipped")
    func changedSource() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.backfillJanuary()
        let before = try ledger(workspace.warehouse, table: "flights")
        // Same rows, one value changed: 2013-01-10, line 2, arr_delay.
        try workspace.corrupt(day: "2013-01-10", line: 2, column: "arr_delay", with: "999")

        let stale = try workspace.json(["status", "--table", "flights"])
        #expect(counts(stale) == ["loaded": 30, "stale": 1])

        let summary = try workspace.backfillJanuary()
        #expect(counts(summary) == ["success": 1, "skipped": 31])
        let reloaded = try #require(try summaryItems(summary).first { $0["status"] as? String == "success" })
        #expect(reloaded["partition"] as? String == "2013-01-10")
        #expect(reloaded["rows"] as? Int == (try ExampleWorkspace.exampleRows("2013-01-10")))
        let after = try ledger(workspace.warehouse, table: "flights")
        #expect(after["2013-01-10"]?.fingerprint != before["2013-01-10"]?.fingerprint)
        for day in Self.days where day != "2013-01-10" {
            #expect(after[day] == before[day], "\(day)")
        }
    }

    @Test("The text summary counts loaded, skipped and failed tasks and names the run; progress goes to stderr")
    func textOutput() throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("backfill flights 2013-01-01..2013-01-31: 32 loaded, 0 skipped, 0 failed (27020 rows) in ") == true)
        let runID = try #require(try ledger(workspace.warehouse, table: "flights")["2013-01-01"]?.runID)
        #expect(lines.last == "run \(runID): success")
        // Not a terminal: plain progress lines, the last one complete, no escape codes.
        #expect(result.stderr.contains("backfill flights: 32/32 done, 27020 rows"))
        #expect(!result.stderr.contains("\u{1B}"))

        let quiet = try workspace.run(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31",
                                       "--quiet", "--force"])
        #expect(quiet.status == 0)
        #expect(quiet.stderr == "")
    }

    @Test("--concurrency 1 and 4 give the same ledger fingerprints", arguments: ["1", "4"])
    func concurrency(workers: String) throws {
        let workspace = try ExampleWorkspace()
        let summary = try workspace.backfillJanuary(["--concurrency", workers])
        #expect(counts(summary) == ["success": 32])
        let whole = try workspace.json(["fingerprint", "--table", "flights"])
        #expect(whole["fingerprint"] as? String == Self.januaryFingerprint)
        #expect(whole["rows"] as? Int == 27_004)
    }
}
