import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// `--json` of every command: one document on stdout, parsed with JSONSerialization and checked
/// field by field.
@Suite struct JSONOutputTests {
    static let runIDPattern = #"\d{8}T\d{6}Z-[0-9a-f]{8}"#
    static let timePattern = #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"#
    static let loadIDPattern = "lk1_[0-9a-f]{32}"
    static let summaryKeys: Set = ["counts", "items", "notStarted", "rows", "runId", "seconds", "status", "warnings"]
    static let itemKeys: Set = ["attempts", "message", "partition", "rows", "status", "table"]
    static let runKeys: Set = ["args", "command", "failures", "finishedAt", "parentRunId", "runId", "startedAt", "status"]
    static let attemptKeys: Set = ["attempt", "error", "finishedAt", "partition", "rows", "startedAt", "status", "table"]

    /// The sha256 of a file, by LoadKit's hashing (the ledger's `source_fingerprint`).
    private func sha256(_ path: String) throws -> String {
        HashingByteSource.sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test("load --partition --json: table, status, load id, row counts, the partition's fingerprint, source sha256")
    func loadPartition() throws {
        let workspace = try ExampleWorkspace()
        let report = try workspace.json(["load", "--table", "flights", "--partition", "2013-01-01"])
        #expect(Set(report.keys) == ["loadID", "partitions", "rowsRead", "rowsSkipped", "rowsWritten", "seconds",
                                     "sourceFingerprint", "status", "strategy", "table"])
        #expect(report["table"] as? String == "flights")
        #expect(report["status"] as? String == "loaded")
        let loadID = try #require(report["loadID"] as? String)
        #expect(matches(loadID, Self.loadIDPattern), "\(loadID)")
        #expect(report["rowsRead"] as? Int == 842)
        #expect(report["rowsSkipped"] as? Int == 0)
        #expect(report["rowsWritten"] as? Int == 842)
        #expect(report["strategy"] as? String == "direct")
        #expect(report["sourceFingerprint"] as? String == (try sha256(workspace.dayFile("2013-01-01"))))
        let partitions = try #require(report["partitions"] as? [[String: Any]])
        #expect(partitions.count == 1)
        #expect(Set(partitions[0].keys) == ["fingerprint", "partition", "rows"])
        #expect(partitions[0]["partition"] as? String == "2013-01-01")
        #expect(partitions[0]["rows"] as? Int == 842)
        #expect(partitions[0]["fingerprint"] as? String == BackfillCommandTests.firstDayFingerprint)
        let seconds = try #require(report["seconds"] as? [String: Double])
        #expect(Set(seconds.keys) == ["commit", "staging"])
        #expect(seconds.values.allSatisfy { $0 >= 0 && $0 < 60 })

        // The load id is deterministic: the same for the same table and partition, in any run.
        let again = try workspace.json(["load", "--table", "flights", "--partition", "2013-01-01"])
        #expect(again["loadID"] as? String == loadID)
        #expect((again["partitions"] as? [[String: Any]])?.first?["fingerprint"] as? String
            == BackfillCommandTests.firstDayFingerprint)
        let entry = try #require(try ledger(workspace.warehouse, table: "flights")["2013-01-01"])
        #expect(entry.sourceFingerprint == report["sourceFingerprint"] as? String)
    }

    @Test("load --input --json: a dynamic load reports exactly the partitions in the file, as a static load would")
    func loadInput() throws {
        let workspace = try ExampleWorkspace()
        // 2013-01-04 and 2013-01-05 in one file, the second day first.
        let day4 = try String(contentsOfFile: workspace.dayFile("2013-01-04"), encoding: .utf8)
        let day5 = try String(contentsOfFile: workspace.dayFile("2013-01-05"), encoding: .utf8)
        let body5 = day5.split(separator: "\n", maxSplits: 1)[1]
        let input = try workspace.directory.write("two-days.csv", day4 + body5)
        let report = try workspace.json(["load", "--table", "flights", "--input", input])
        #expect(report["status"] as? String == "loaded")
        #expect(report["rowsRead"] as? Int == 915 + 720)
        #expect(report["rowsWritten"] as? Int == 915 + 720)
        #expect(report["rowsSkipped"] as? Int == 0)
        #expect(report["sourceFingerprint"] as? String == (try sha256(input)))
        #expect(matches(report["loadID"] as? String, Self.loadIDPattern))
        let partitions = try #require(report["partitions"] as? [[String: Any]])
        #expect(partitions.map { $0["partition"] as? String } == ["2013-01-04", "2013-01-05"])
        #expect(partitions.map { $0["rows"] as? Int } == [915, 720])

        // Nothing else was touched; each day's fingerprint is what a static load of its file gives.
        #expect(try ledger(workspace.warehouse, table: "flights").keys.sorted() == ["2013-01-04", "2013-01-05"])
        for (index, day) in ["2013-01-04", "2013-01-05"].enumerated() {
            let stored = try workspace.json(["fingerprint", "--table", "flights", "--partition", day])
            #expect(stored["fingerprint"] as? String == partitions[index]["fingerprint"] as? String)
            let single = try workspace.json(["load", "--table", "flights", "--partition", day])
            #expect((single["partitions"] as? [[String: Any]])?.first?["fingerprint"] as? String
                == partitions[index]["fingerprint"] as? String, "\(day)")
        }
    }

    @Test("load --input of a header-only file replaces nothing, says so, exits 0")
    func loadEmptyInput() throws {
        let workspace = try ExampleWorkspace()
        let header = try String(contentsOfFile: workspace.dayFile("2013-01-01"), encoding: .utf8)
            .split(separator: "\n")[0]
        let input = try workspace.directory.write("empty.csv", header + "\n")
        let report = try workspace.json(["load", "--table", "flights", "--input", input])
        #expect(report["status"] as? String == "nothing_to_load")
        #expect((report["partitions"] as? [Any])?.isEmpty == true)
        #expect(report["rowsWritten"] as? Int == 0)
        let text = try workspace.run(["load", "--table", "flights", "--input", input])
        #expect(text.status == 0)
        #expect(text.stdout == "flights: the input has no rows; nothing to load, nothing changed\n")
    }

    @Test("backfill --json: the run summary with counts, rows and one item per task")
    func backfillSummary() throws {
        let workspace = try ExampleWorkspace()
        let summary = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03"])
        #expect(Set(summary.keys) == Self.summaryKeys)
        #expect(matches(summary["runId"] as? String, Self.runIDPattern))
        #expect(summary["status"] as? String == "success")
        #expect(counts(summary) == ["success": 4])
        #expect(summary["rows"] as? Int == 16 + 842 + 943 + 914)
        #expect(summary["notStarted"] as? Int == 0)
        #expect((summary["seconds"] as? Double).map { $0 >= 0 } == true)
        #expect((summary["warnings"] as? [Any])?.isEmpty == true)
        let items = try summaryItems(summary)
        #expect(items.allSatisfy { Set($0.keys) == Self.itemKeys })
        let sorted = items.sorted { ($0["partition"] as? String ?? "") < ($1["partition"] as? String ?? "") }
        #expect(sorted.map { $0["table"] as? String } == ["airlines", "flights", "flights", "flights"])
        #expect(sorted.map { $0["partition"] as? String } == [nil, "2013-01-01", "2013-01-02", "2013-01-03"])
        #expect(sorted.map { $0["rows"] as? Int } == [16, 842, 943, 914])
        #expect(sorted.allSatisfy { $0["status"] as? String == "success" && $0["attempts"] as? Int == 1 && isNull($0["message"]) })
    }

    @Test("backfill --dry-run --json prints the plan and writes nothing at all, not even the warehouse file")
    func dryRunFresh() throws {
        let workspace = try ExampleWorkspace()
        let report = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31",
                                         "--dry-run"])
        #expect(Set(report.keys) == ["plan", "table"])
        #expect(report["table"] as? String == "flights")
        let plan = try #require(report["plan"] as? [[String: Any]])
        #expect(plan.count == 32)
        #expect(plan.allSatisfy { Set($0.keys) == ["action", "partition", "reason", "table"] })
        #expect(plan[0]["table"] as? String == "airlines")
        #expect(isNull(plan[0]["partition"]))
        #expect(plan[0]["action"] as? String == "load")
        #expect(plan[0]["reason"] as? String == "not loaded; source data/airlines.csv")
        for (step, day) in zip(plan.dropFirst(), ExampleWorkspace.januaryDays) {
            #expect(step["table"] as? String == "flights")
            #expect(step["partition"] as? String == day)
            #expect(step["action"] as? String == "load")
            #expect(step["reason"] as? String == "not loaded; source data/flights-\(day).csv")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse))
        #expect(try workspace.writtenFiles() == [])

        let text = try workspace.run(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--dry-run"])
        #expect(text.status == 0)
        #expect(text.stdout == """
            partition   table     action  reason
            -           airlines  load    not loaded; source data/airlines.csv
            2013-01-01  flights   load    not loaded; source data/flights-2013-01-01.csv
            2013-01-02  flights   load    not loaded; source data/flights-2013-01-02.csv
            dry run: 3 load; nothing was written

            """)
        #expect(try workspace.writtenFiles() == [])
    }

    @Test("--dry-run over a loaded warehouse: skip, reload, load and fail, and the files stay byte-identical")
    func dryRunLoaded() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03", "--quiet"])
        try workspace.corrupt(day: "2013-01-02", line: 2, column: "arr_delay", with: "12")
        try FileManager.default.removeItem(atPath: workspace.dayFile("2013-01-05"))
        let files = try workspace.writtenFiles()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: workspace.warehouse))
        let runs = try runCount(workspace.warehouse)

        // A foreseen failure (the missing file of the 5th): the dry run exits 1, as the run would.
        let report = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-05",
                                         "--dry-run"], status: 1)
        let plan = try #require(report["plan"] as? [[String: Any]])
        #expect(plan.map { $0["partition"] as? String } == [nil, "2013-01-01", "2013-01-02", "2013-01-03", "2013-01-04", "2013-01-05"])
        #expect(plan.map { $0["action"] as? String } == ["skip", "skip", "reload", "skip", "load", "fail"])
        #expect(plan.map { $0["reason"] as? String } == [
            "loaded from an unchanged source", "loaded from an unchanged source", "source changed since it was loaded",
            "loaded from an unchanged source", "not loaded; source data/flights-2013-01-04.csv",
            "source file not found: data/flights-2013-01-05.csv",
        ])
        let forced = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03",
                                         "--dry-run", "--force"])
        #expect((forced["plan"] as? [[String: Any]])?.map { $0["action"] as? String } == ["reload", "reload", "reload", "reload"])
        #expect((forced["plan"] as? [[String: Any]])?.allSatisfy { $0["reason"] as? String == "--force" } == true)

        let run = try workspace.json(["run", "--partition", "2013-01-03", "--dry-run"])
        #expect(run["table"] as? String == "*")
        let steps = try #require(run["plan"] as? [[String: Any]])
        #expect(steps.map { $0["table"] as? String } == ["airlines", "flights", "daily_delays"])
        #expect(steps.map { $0["action"] as? String } == ["skip", "skip", "load"])

        #expect(try workspace.writtenFiles() == files)
        #expect(try Data(contentsOf: URL(fileURLWithPath: workspace.warehouse)) == bytes)
        #expect(try runCount(workspace.warehouse) == runs, "a dry run records no run")
    }

    @Test("run --json: airlines, flights and the daily_delays transform for one partition")
    func runSummary() throws {
        let workspace = try ExampleWorkspace()
        let summary = try workspace.json(["run", "--partition", "2013-01-02", "--quiet"])
        #expect(Set(summary.keys) == Self.summaryKeys)
        #expect(summary["status"] as? String == "success")
        #expect(counts(summary) == ["success": 3])
        // daily_delays has one row per carrier flying that day.
        let text = try String(contentsOfFile: workspace.dayFile("2013-01-02"), encoding: .utf8)
        let carriers = Set(text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[9] })
        let items = try summaryItems(summary)
        #expect(items.map { $0["table"] as? String } == ["airlines", "flights", "daily_delays"])
        #expect(items.map { $0["partition"] as? String } == [nil, "2013-01-02", "2013-01-02"])
        #expect(items.map { $0["rows"] as? Int } == [16, 943, carriers.count])
        #expect(summary["rows"] as? Int == 16 + 943 + carriers.count)

        let again = try workspace.json(["run", "--partition", "2013-01-02", "--quiet"])
        #expect(counts(again) == ["skipped": 3])
        #expect(try summaryItems(again).last?["message"] as? String == "already loaded; its upstream partitions are unchanged")
    }

    @Test("status --json: table, granularity, every partition of the range with state, rows, loadedAt, error, and counts")
    func status() throws {
        let workspace = try ExampleWorkspace()
        let empty = try workspace.json(["status", "--table", "flights"])
        #expect(empty["table"] as? String == "flights")
        #expect((empty["partitions"] as? [Any])?.isEmpty == true)
        #expect(counts(empty) == [:])

        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03", "--quiet"])
        let report = try workspace.json(["status", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-04"])
        #expect(Set(report.keys) == ["counts", "granularity", "partitions", "table"])
        #expect(report["table"] as? String == "flights")
        #expect(report["granularity"] as? String == "day")
        #expect(counts(report) == ["loaded": 3, "missing": 1])
        let partitions = try #require(report["partitions"] as? [[String: Any]])
        #expect(partitions.allSatisfy { Set($0.keys) == ["error", "loadedAt", "partition", "rows", "state"] })
        #expect(partitions.map { $0["partition"] as? String } == ["2013-01-01", "2013-01-02", "2013-01-03", "2013-01-04"])
        #expect(partitions.map { $0["state"] as? String } == ["loaded", "loaded", "loaded", "missing"])
        #expect(partitions.map { $0["rows"] as? Int } == [842, 943, 914, nil])
        let entries = try ledger(workspace.warehouse, table: "flights")
        for partition in partitions.prefix(3) {
            let loadedAt = try #require(partition["loadedAt"] as? String)
            #expect(matches(loadedAt, Self.timePattern))
            #expect(loadedAt == entries[partition["partition"] as! String]?.loadedAt)
            #expect(isNull(partition["error"]))
        }
        #expect(isNull(partitions[3]["rows"]) && isNull(partitions[3]["loadedAt"]) && isNull(partitions[3]["error"]))

        // Without --from/--to the range spans what was loaded or attempted.
        let known = try workspace.json(["status", "--table", "flights"])
        #expect((known["partitions"] as? [[String: Any]])?.map { $0["partition"] as? String }
            == ["2013-01-01", "2013-01-02", "2013-01-03"])
    }

    @Test("runs --json and runs show --json: runs newest first with args and times; show adds every attempt")
    func runs() throws {
        let workspace = try ExampleWorkspace()
        let none = try workspace.json(["runs"])
        #expect((none["runs"] as? [Any])?.isEmpty == true)

        let first = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--quiet"])
        let second = try workspace.json(["load", "--table", "airlines"])
        _ = second
        let listing = try workspace.json(["runs"])
        #expect(Set(listing.keys) == ["runs"])
        let runs = try #require(listing["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { Set($0.keys) == Self.runKeys })
        #expect(runs.map { $0["command"] as? String } == ["load", "backfill"])
        #expect(runs[0]["args"] as? [String] == ["load", "--table", "airlines", "--json", "--config", workspace.config])
        #expect(runs[1]["args"] as? [String] == ["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02",
                                                 "--quiet", "--json", "--config", workspace.config])
        #expect(runs[1]["runId"] as? String == first["runId"] as? String)
        #expect(runs.allSatisfy { $0["status"] as? String == "success" && isNull($0["parentRunId"]) })
        #expect(runs.allSatisfy { ($0["failures"] as? [Any])?.isEmpty == true })
        for run in runs {
            #expect(matches(run["startedAt"] as? String, Self.timePattern))
            #expect(matches(run["finishedAt"] as? String, Self.timePattern))
            #expect((run["startedAt"] as! String) <= (run["finishedAt"] as! String))
        }
        let limited = try workspace.json(["runs", "--limit", "1"])
        #expect((limited["runs"] as? [[String: Any]])?.map { $0["command"] as? String } == ["load"])

        let runID = try #require(first["runId"] as? String)
        let shown = try workspace.json(["runs", "show", runID])
        #expect(Set(shown.keys) == ["attempts", "run"])
        let run = try #require(shown["run"] as? [String: Any])
        #expect(Set(run.keys) == Self.runKeys)
        #expect(run["runId"] as? String == runID)
        #expect(run["status"] as? String == "success")
        let attempts = try #require(shown["attempts"] as? [[String: Any]])
        #expect(attempts.allSatisfy { Set($0.keys) == Self.attemptKeys })
        let sorted = attempts.sorted { ($0["partition"] as? String ?? "") < ($1["partition"] as? String ?? "") }
        #expect(sorted.map { $0["table"] as? String } == ["airlines", "flights", "flights"])
        #expect(sorted.map { $0["partition"] as? String } == [nil, "2013-01-01", "2013-01-02"])
        #expect(sorted.map { $0["rows"] as? Int } == [16, 842, 943])
        #expect(sorted.allSatisfy { $0["status"] as? String == "success" && $0["attempt"] as? Int == 1 && isNull($0["error"]) })
    }

    @Test("rerun --json: the run summary of the re-run tasks; nothing failed gives an empty success")
    func rerun() throws {
        let workspace = try ExampleWorkspace()
        try workspace.corrupt(day: "2013-01-02", line: 3, column: "dep_delay", with: "?")
        let failed = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03", "--quiet"],
                                        status: 1)
        try workspace.repair(day: "2013-01-02")
        let rerun = try workspace.json(["rerun", try #require(failed["runId"] as? String), "--quiet"])
        #expect(Set(rerun.keys) == Self.summaryKeys)
        #expect(rerun["status"] as? String == "success")
        #expect(counts(rerun) == ["success": 1])
        #expect(rerun["rows"] as? Int == 943)
        #expect(try summaryItems(rerun).map { $0["partition"] as? String } == ["2013-01-02"])
        #expect(rerun["runId"] as? String != failed["runId"] as? String)

        let again = try workspace.json(["rerun", "--failed"])
        #expect(again["status"] as? String == "success")
        #expect((again["items"] as? [Any])?.isEmpty == true)
    }

    @Test("rerun --failed --json before any warehouse exists still prints JSON, and creates nothing")
    func rerunWithoutWarehouse() throws {
        let workspace = try ExampleWorkspace()
        let nothing = try workspace.json(["rerun", "--failed"])
        #expect(nothing["status"] as? String == "success")
        #expect((nothing["items"] as? [Any])?.isEmpty == true)
        #expect(try workspace.writtenFiles() == [])
    }

    @Test("fingerprint --json is exactly {table, partition, rows, fingerprint}; partition is null for the whole table")
    func fingerprint() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--quiet"])
        let day = try workspace.json(["fingerprint", "--table", "flights", "--partition", "2013-01-01"])
        #expect(Set(day.keys) == ["fingerprint", "partition", "rows", "table"])
        #expect(day["table"] as? String == "flights")
        #expect(day["partition"] as? String == "2013-01-01")
        #expect(day["rows"] as? Int == 842)
        #expect(day["fingerprint"] as? String == BackfillCommandTests.firstDayFingerprint)

        let table = try workspace.json(["fingerprint", "--table", "flights"])
        #expect(Set(table.keys) == ["fingerprint", "partition", "rows", "table"])
        #expect(isNull(table["partition"]))
        #expect(table["rows"] as? Int == 842 + 943)
        #expect(matches(table["fingerprint"] as? String, "[0-9a-f]{32}"))
        #expect(table["fingerprint"] as? String != day["fingerprint"] as? String)

        let airlines = try workspace.json(["fingerprint", "--table", "airlines"])
        #expect(airlines["rows"] as? Int == 16)
        #expect(isNull(airlines["partition"]))
        #expect(airlines["fingerprint"] as? String == (try ledger(workspace.warehouse, table: "airlines")[""]?.fingerprint))

        let text = try workspace.run(["fingerprint", "--table", "flights", "--partition", "2013-01-01"])
        #expect(text.stdout == "flights 2013-01-01: 842 rows, fingerprint \(BackfillCommandTests.firstDayFingerprint)\n")
    }

    @Test("gc --json lists lock files no process uses (a killed run's holder file, an earlier version's per-key file); --dry-run keeps them, gc deletes them")
    func gc() throws {
        let workspace = try ExampleWorkspace()
        let fresh = try workspace.json(["gc"])
        #expect(Set(fresh.keys) == ["dropped", "dryRun", "inUse", "lockFiles"])
        #expect(fresh["dryRun"] as? Bool == false)
        #expect((fresh["lockFiles"] as? [String]) == [])
        #expect(try workspace.writtenFiles() == [])

        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03", "--quiet"])
        let lockDirectory = workspace.warehouse + ".loadkit-locks"
        // A run that ended cleanly leaves only the shared file of byte-range locks.
        #expect(try FileManager.default.contentsOfDirectory(atPath: lockDirectory) == ["keys"])
        #expect((try workspace.json(["gc", "--dry-run"])["lockFiles"] as? [String]) == [])
        // A run killed while it holds a partition (the failpoint exits like kill -9) leaves its
        // holder file behind, no longer locked; an earlier loadkit left per-key `.lock` files.
        let killed = try workspace.run(["load", "--table", "flights", "--partition", "2013-01-04", "--quiet"],
                                       environment: ["LOADKIT_FAILPOINT": "before_commit:crash"])
        #expect(killed.status == 137, "stderr: \(killed.stderr)")
        #expect(FileManager.default.createFile(atPath: lockDirectory + "/00112233445566778899aabbccddeeff.lock", contents: nil))
        let locks = try FileManager.default.contentsOfDirectory(atPath: lockDirectory).filter { $0 != "keys" }.sorted()
        #expect(locks.count == 2)
        #expect(locks.contains { $0.hasPrefix("holder-") }, "\(locks)")
        #expect(SQLiteDestination.heldLockKeys(warehouse: workspace.warehouse) == [])

        let dry = try workspace.json(["gc", "--dry-run"])
        #expect(dry["dryRun"] as? Bool == true)
        #expect((dry["dropped"] as? [String]) == [])
        #expect((dry["inUse"] as? [String]) == [])
        #expect((dry["lockFiles"] as? [String])?.sorted() == locks)
        #expect(try FileManager.default.contentsOfDirectory(atPath: lockDirectory).filter { $0 != "keys" }.sorted() == locks)

        let real = try workspace.json(["gc"])
        #expect(real["dryRun"] as? Bool == false)
        #expect((real["lockFiles"] as? [String])?.sorted() == locks)
        #expect(try FileManager.default.contentsOfDirectory(atPath: lockDirectory) == ["keys"])
        #expect((try workspace.json(["gc"])["lockFiles"] as? [String]) == [])
        // The data is untouched: the killed load committed nothing.
        #expect(try ledger(workspace.warehouse, table: "flights").count == 3)
    }

    @Test("check --json: table, total rows, per-file rows and error, ok; a bad file exits 1")
    func check() throws {
        let workspace = try ExampleWorkspace()
        try workspace.corrupt(day: "2013-01-03", line: 5, column: "dep_time", with: "5.5")
        let report = try workspace.json(["check", "--table", "flights", workspace.dayFile("2013-01-02"),
                                         workspace.dayFile("2013-01-03")], status: 1)
        #expect(Set(report.keys) == ["files", "ok", "rows", "table"])
        #expect(report["table"] as? String == "flights")
        #expect(report["ok"] as? Bool == false)
        #expect(report["rows"] as? Int == 943 + 3)
        let files = try #require(report["files"] as? [[String: Any]])
        #expect(files.map { $0["file"] as? String } == [workspace.dayFile("2013-01-02"), workspace.dayFile("2013-01-03")])
        #expect(files.map { $0["rows"] as? Int } == [943, 3])
        #expect(files[0]["error"] == nil)
        #expect((files[1]["error"] as? String)?.contains("line 5, column dep_time") == true)
        #expect(try workspace.writtenFiles() == [])
    }
}
