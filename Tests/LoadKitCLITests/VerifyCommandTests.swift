import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

@Suite struct VerifyCommandTests {
    static let steps = ["load", "load again", "crash at after_staging, load again",
                        "crash at before_commit, load again", "crash at after_commit, load again"]

    /// The SHA-256 of the file at `path`, hex.
    static func sha256(_ path: String) throws -> String {
        HashingByteSource.sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Every file and folder under `root`, relative, sorted.
    static func listing(_ root: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: root).sorted()
    }

    @Test("verify passes on every table of the flights example and leaves the warehouse byte for byte as it was",
          arguments: [("flights", "2013-01-05"), ("daily_delays", "2013-01-05"), ("airlines", nil)] as [(String, String?)])
    func examplePasses(table: String, partition: String?) throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "daily_delays", "--from", "2013-01-04", "--to", "2013-01-06", "--quiet"])
        let before = try Self.sha256(workspace.warehouse)
        let files = try Self.listing(workspace.root)
        let report = try workspace.json(["verify", "--table", table] + (partition.map { ["--partition", $0] } ?? []))
        #expect(report["ok"] as? Bool == true)
        #expect(report["inPlace"] as? Bool == false)
        #expect(report["table"] as? String == table)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.map { $0["step"] as? String } == Self.steps)
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true })
        #expect(steps.allSatisfy { $0["exercised"] as? Bool == true })
        #expect(report["loadID"] == nil)
        #expect(Set(steps.compactMap { $0["fingerprint"] as? String }).count == 1)
        let rows = Set(steps.compactMap { $0["rows"] as? Int })
        #expect(rows == [table == "flights" ? 720 : table == "airlines" ? 16 : 14])
        #expect(steps.dropFirst(2).allSatisfy { ($0["detail"] as? String)?.hasPrefix("crashed at ") == true })
        #expect(try Self.sha256(workspace.warehouse) == before)
        #expect(try Self.listing(workspace.root) == files)
    }

    @Test("verify of a file-loaded table works beside a transform over a table only the warehouse has: the scratch copy keeps the warehouse's schema")
    func schemaOfOtherTablesKept() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-04", "--to", "2013-01-06", "--quiet"])
        try SQLiteConnection(path: workspace.warehouse).execute(
            "CREATE TABLE outside_table(x INTEGER); INSERT INTO outside_table VALUES (1), (2)")
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
        try (config + """

              outside_counts:
                sql: SELECT count(*) AS n FROM outside_table

            """).write(toFile: workspace.config, atomically: true, encoding: .utf8)
        let before = try Self.sha256(workspace.warehouse)
        let report = try workspace.json(["verify", "--table", "flights", "--partition", "2013-01-05"])
        #expect(report["ok"] as? Bool == true, "\(report)")
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.allSatisfy { $0["exercised"] as? Bool == true })
        #expect(try Self.sha256(workspace.warehouse) == before)
    }

    @Test("verify fails a non-idempotent transform, naming the step where fingerprints diverged")
    func nonIdempotentTransform() throws {
        let workspace = try ExampleWorkspace()
        let noisy = try String(contentsOfFile: Paths.packageRoot + "/Fixtures/verify/noisy-transform.yml", encoding: .utf8)
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
        try (config + noisy).write(toFile: workspace.config, atomically: true, encoding: .utf8)
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let report = try workspace.json(["verify", "--table", "noisy", "--partition", "2013-01-05"], status: 1)
        #expect(report["ok"] as? Bool == false)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.first?["ok"] as? Bool == true)
        #expect(steps[1]["ok"] as? Bool == false)
        let detail = try #require(steps[1]["detail"] as? String)
        #expect(detail.hasPrefix("fingerprint diverged from the first load ("))
        #expect(detail.hasSuffix("): not idempotent"))
        let text = try workspace.run(["verify", "--table", "noisy", "--partition", "2013-01-05"])
        #expect(text.status == 1)
        #expect(text.stdout.hasSuffix("verify noisy 2013-01-05: FAILED at step 'load again' — see above (on a scratch copy; the warehouse is unchanged)\n"))
    }

    @Test("verify --in-place works in the warehouse itself and records its runs there")
    func inPlace() throws {
        let workspace = try ExampleWorkspace()
        let report = try workspace.json(["verify", "--table", "flights", "--partition", "2013-01-02", "--in-place"])
        #expect(report["ok"] as? Bool == true)
        let fingerprint = try workspace.json(["fingerprint", "--table", "flights", "--partition", "2013-01-02"])
        #expect(fingerprint["rows"] as? Int == 943)
        #expect(fingerprint["fingerprint"] as? String == (report["steps"] as? [[String: Any]])?.first?["fingerprint"] as? String)
        try Self.expectVerifyRuns(try workspace.json(["runs", "--limit", "100"]), crashSteps: 3)
        let text = try workspace.run(["runs"])
        #expect(text.stdout.components(separatedBy: "(step of verify ").count - 1 == 8)
        #expect(!text.stdout.contains("rerun of"))
    }

    // MARK: - Append tables

    /// A private copy of `Fixtures/verify/events` (a partitioned append table) in a temporary
    /// directory; commands run there with `--config <root>/loadkit.yml`.
    struct EventsWorkspace {
        let directory: TemporaryDirectory
        var root: String { directory.root }
        var config: String { directory.path("loadkit.yml") }
        var warehouse: String { directory.path("warehouse.db") }

        /// Copies the fixture; with `extra`, appends that fixture file to the config's tables.
        init(extra: String? = nil) throws {
            directory = try TemporaryDirectory(prefix: "loadkit-verify")
            let fixture = Paths.packageRoot + "/Fixtures/verify/events"
            try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
            for name in ["loadkit.yml", "all.csv", "data/events-2024-03-02.csv", "data/events-2024-03-04.csv"] {
                try FileManager.default.copyItem(atPath: "\(fixture)/\(name)", toPath: directory.path(name))
            }
            if let extra {
                let config = try String(contentsOfFile: self.config, encoding: .utf8)
                let more = try String(contentsOfFile: Paths.packageRoot + "/Fixtures/verify/" + extra, encoding: .utf8)
                try (config + more).write(toFile: self.config, atomically: true, encoding: .utf8)
            }
        }

        func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
            try loadkit(arguments + ["--config", config], in: root, sourceLocation: sourceLocation)
        }

        func json(_ arguments: [String], status: Int32 = 0,
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            let result = try run(arguments + ["--json"], sourceLocation: sourceLocation)
            #expect(result.status == status, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
            return try parseObject(result.stdout, sourceLocation: sourceLocation)
        }

        /// `load --table events --input all.csv`: four rows of three days under one load id
        /// (ledger partition_key NULL), one of them in 2024-03-02.
        func loadAll(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let load = try json(["load", "--table", "events", "--input", "all.csv"], sourceLocation: sourceLocation)
            #expect(load["rowsWritten"] as? Int == 4, sourceLocation: sourceLocation)
            #expect(try ledger(warehouse, table: "events").keys.sorted() == [""], sourceLocation: sourceLocation)
        }
    }

    /// Checks `runs --json` after `verify --in-place`: one run of verify itself (no parent), every
    /// other run since it a verify step linked to it, `crashSteps` of them interrupted crash
    /// steps (`--crash-at`), none still running, and no `load` run left interrupted or running.
    static func expectVerifyRuns(_ list: [String: Any], crashSteps: Int,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let runs = try #require(list["runs"] as? [[String: Any]], sourceLocation: sourceLocation)
        let verify = runs.filter { $0["command"] as? String == "verify" }
        let roots = verify.filter { isNull($0["parentRunId"]) }
        try #require(roots.count == 1, "verify runs: \(verify)", sourceLocation: sourceLocation)
        let root = try #require(roots[0]["runId"] as? String, sourceLocation: sourceLocation)
        #expect(roots[0]["status"] as? String == "success", sourceLocation: sourceLocation)
        let children = verify.filter { $0["parentRunId"] as? String == root }
        #expect(children.count == verify.count - 1, sourceLocation: sourceLocation)
        #expect(children.count == 5 + 3, sourceLocation: sourceLocation)
        let crashes = children.filter { ($0["args"] as? [String])?.contains("--crash-at") == true }
        #expect(crashes.count == 3, sourceLocation: sourceLocation)
        #expect(crashes.filter { $0["status"] as? String == "interrupted" }.count == crashSteps, sourceLocation: sourceLocation)
        let points = crashes.compactMap { run in (run["args"] as? [String])?.last { FailPoint(rawValue: $0) != nil } }
        #expect(Set(points) == ["after_staging", "before_commit", "after_commit"], sourceLocation: sourceLocation)
        #expect(!runs.contains { $0["status"] as? String == "running" }, sourceLocation: sourceLocation)
        #expect(!runs.contains { $0["command"] as? String == "load" && ["interrupted", "running"].contains($0["status"] as? String) },
                sourceLocation: sourceLocation)
    }

    @Test("verify of a partition of an append table loaded by --input passes, checking its own load id, and leaves the warehouse byte for byte as it was")
    func appendLoadedByInput() throws {
        let workspace = try EventsWorkspace()
        try workspace.loadAll()
        let before = try Self.sha256(workspace.warehouse)
        let files = try Self.listing(workspace.root)
        let report = try workspace.json(["verify", "--table", "events", "--partition", "2024-03-02"])
        #expect(report["ok"] as? Bool == true)
        #expect(report["loadID"] as? String == LoadID.make(table: "events", mode: .append, scope: .partition("2024-03-02")))
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.map { $0["step"] as? String } == Self.steps)
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true && $0["exercised"] as? Bool == true })
        // The day file's two rows, not the partition's three (one is the --input load's).
        #expect(Set(steps.compactMap { $0["rows"] as? Int }) == [2])
        #expect(Set(steps.compactMap { $0["fingerprint"] as? String }).count == 1)
        #expect(steps[0]["detail"] as? String == "loaded")
        #expect(steps[1]["detail"] as? String == "same fingerprint; already loaded with the same content: nothing appended twice")
        #expect(steps[2]["detail"] as? String == "crashed at after_staging as injected in a first append; same fingerprint after loading again (loaded)")
        #expect(steps[3]["detail"] as? String == "crashed at before_commit as injected in a first append; same fingerprint after loading again (loaded)")
        #expect(steps[4]["detail"] as? String
            == "crashed at after_commit as injected in a first append; same fingerprint after loading again (already loaded with the same content)")
        #expect(try Self.sha256(workspace.warehouse) == before)
        #expect(try Self.listing(workspace.root) == files)

        let text = try workspace.run(["verify", "--table", "events", "--partition", "2024-03-02"])
        #expect(text.status == 0)
        #expect(text.stdout.hasSuffix("verify events 2024-03-02: idempotent — 5 steps, one fingerprint (on a scratch copy; the warehouse is unchanged)\n"))
        #expect(try Self.sha256(workspace.warehouse) == before)
    }

    @Test("verify of an append partition says which crash steps never fired, and counts only the exercised ones")
    func appendCrashNeverFired() throws {
        let workspace = try EventsWorkspace()
        try workspace.loadAll()
        let report = try workspace.json(["verify", "--table", "events", "--partition", "2024-03-04"])
        #expect(report["ok"] as? Bool == true)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.map { $0["exercised"] as? Bool } == [true, true, true, false, false])
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true && $0["rows"] as? Int == 0 })
        #expect(steps[0]["detail"] as? String == "the source has no rows")
        #expect(steps[3]["detail"] as? String == "not exercised: the load ended (the source has no rows) before reaching before_commit")
        #expect(steps[4]["detail"] as? String == "not exercised: the load ended (the source has no rows) before reaching after_commit")
        let text = try workspace.run(["verify", "--table", "events", "--partition", "2024-03-04"])
        #expect(text.status == 0)
        #expect(text.stdout.hasSuffix("verify events 2024-03-04: idempotent — 3 of 5 steps exercised "
            + "(not exercised: crash at before_commit, crash at after_commit), one fingerprint "
            + "(on a scratch copy; the warehouse is unchanged)\n"))
    }

    @Test("verify fails a non-idempotent append transform at 'load again'")
    func nonIdempotentAppend() throws {
        let workspace = try EventsWorkspace(extra: "noisy-append.yml")
        try workspace.loadAll()
        let before = try Self.sha256(workspace.warehouse)
        let report = try workspace.json(["verify", "--table", "noisy_events", "--partition", "2024-03-02"], status: 1)
        #expect(report["ok"] as? Bool == false)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.first?["ok"] as? Bool == true)
        #expect(steps[1]["ok"] as? Bool == false)
        let detail = try #require(steps[1]["detail"] as? String)
        #expect(detail.hasPrefix("fingerprint diverged from the first load ("))
        #expect(detail.hasSuffix("): not idempotent"))
        #expect(try Self.sha256(workspace.warehouse) == before)
    }

    @Test("verify --in-place of an append partition records its loads as verify's, crash steps interrupted, and keeps the --input load's rows")
    func appendInPlace() throws {
        let workspace = try EventsWorkspace()
        try workspace.loadAll()
        let inputLoad = LoadID.make(table: "events", mode: .append, scope: .input("all.csv"))
        let report = try workspace.json(["verify", "--table", "events", "--partition", "2024-03-02", "--in-place"])
        #expect(report["ok"] as? Bool == true)
        #expect(report["inPlace"] as? Bool == true)
        let fingerprint = try workspace.json(["fingerprint", "--table", "events", "--partition", "2024-03-02"])
        #expect(fingerprint["rows"] as? Int == 3)
        let entries = try SQLiteDestination(readingOnly: workspace.warehouse).ledger(table: "events")
        #expect(entries.map(\.loadID).sorted() == [report["loadID"] as? String, inputLoad].compactMap { $0 }.sorted())
        #expect(entries.first { $0.loadID == inputLoad }?.fingerprint.rows == 4)
        try Self.expectVerifyRuns(try workspace.json(["runs", "--limit", "100"]), crashSteps: 3)
    }
}
