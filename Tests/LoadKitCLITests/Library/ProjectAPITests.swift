import Foundation
import LoadKitProject
import Testing

/// The library does what the command does (SPEC.md §10): the same warehouse, ledger, run
/// records and values as `--json`.
@Suite struct ProjectAPITests {
    @Test("A backfill through Project gives the command's fingerprints; a second one skips everything")
    func backfillMatchesCommand() throws {
        let viaLibrary = try EventsProject()
        let viaCommand = try EventsProject()
        for d in 1...3 { try viaLibrary.day(d); try viaCommand.day(d) }
        let project = try Project(configPath: viaLibrary.config)
        let summary = try project.backfill("daily", from: "2024-01-01", to: "2024-01-03")
        #expect(summary.status == .success)
        #expect(summary.count(.success) == 6)
        _ = try viaCommand.json(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-03"])
        for table in ["events", "daily"] {
            #expect(try project.fingerprint(table).fingerprint == viaCommand.fingerprint(table))
        }
        #expect(try project.fingerprint("events").rows == 9)
        let again = try project.backfill("daily", from: "2024-01-01", to: "2024-01-03")
        #expect(again.count(.skipped) == 6)
        let runs = try project.runs()
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.command == "backfill" && $0.status == "success" })
        #expect(runs.first?.args == ["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-03"])
    }

    @Test("load(_:file:) loads one file; a bad file throws LoadFailure with file, line and column, recorded; rerun(runID:) after the fix loads it")
    func loadOneFileAndRerun() throws {
        let workspace = try EventsProject()
        try workspace.day(1)
        let project = try Project(configPath: workspace.config)
        let report = try project.load("events", file: workspace.directory.path("data/2024-01-01.csv"))
        #expect(report.status == "loaded")
        #expect(report.rowsWritten == 3)
        #expect(report.partitions.map(\.partition) == ["2024-01-01"])

        let bad = try workspace.directory.write("late.csv", "id,ts,v,tag\n7,2024-01-02T10:00:00Z,abc,x\n")
        let failure = try #require(throws: LoadFailure.self) { try project.load("events", file: bad) }
        #expect(failure.message.contains("late.csv, line 2, column v: 'abc' is not a real number"), "\(failure.message)")
        #expect(try project.runRecord(failure.runID).run.status == "failed")
        #expect(try project.fingerprint("events").rows == 3)

        _ = try workspace.directory.write("late.csv", "id,ts,v,tag\n7,2024-01-02T10:00:00Z,2.5,x\n")
        let rerun = try project.rerun(runID: failure.runID)
        #expect(rerun.status == .success)
        #expect(rerun.count(.success) == 1)
        #expect(try project.fingerprint("events").rows == 4)
        let states = try project.status("events")
        #expect(states.partitions.map(\.partition) == ["2024-01-01", "2024-01-02"])
        #expect(states.partitions.map(\.state) == [.loaded, .stale], "\(states.partitions)")
    }

    @Test("status, fingerprint and dry-run plans are values; a read never creates the warehouse")
    func readsAndPlans() throws {
        let workspace = try EventsProject()
        try workspace.day(1)
        let project = try Project(configPath: workspace.config)
        let missing = try #require(throws: LoadKitError.self) { try project.fingerprint("events") }
        #expect(missing.code == .noSuchTable)
        #expect(missing.message.contains("there is no warehouse at"), "\(missing.message)")
        #expect(try project.status("events").partitions.isEmpty)
        let plan = try project.planBackfill("daily", from: "2024-01-01", to: "2024-01-02")
        #expect(plan.plan.map(\.action) == ["load", "load", "fail", "upstream_failed"])
        #expect(plan.foreseesFailure)
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse))

        let states = try project.status("events", from: "2024-01-01", to: "2024-01-02")
        #expect(states.partitions.map(\.state) == [.missing, .missing])
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse))
    }

    @Test("verify through the library proves the same five steps as the command")
    func verify() throws {
        let workspace = try EventsProject()
        try workspace.day(1)
        let project = try Project(configPath: workspace.config)
        project.crashStepExecutable = Paths.binary
        let report = try project.verify("events", partition: "2024-01-01")
        #expect(report.ok, "\(report.steps)")
        #expect(report.steps.count == 5)
        #expect(report.steps.allSatisfy { $0.exercised && $0.rows == 3 })
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse), "verify ran on a scratch copy")
    }

    @Test("A postgres:// warehouse is taken as PostgreSQL, never a file name; a server that cannot be reached fails fast naming host, port and database, never the password",
          arguments: ["postgres://loader:s3cret@127.0.0.1:1/wh", "postgresql://127.0.0.1:1/wh?password=s3cret"])
    func postgresWarehouse(uri: String) throws {
        let workspace = try EventsProject()
        let yaml = try String(contentsOfFile: workspace.config, encoding: .utf8)
            .replacingOccurrences(of: "warehouse: warehouse.db", with: "warehouse: \(uri)")
            .components(separatedBy: "\n  daily:").first!
        _ = try workspace.directory.write("loadkit.yml", yaml)
        let project = try Project(configPath: workspace.config)
        #expect(project.warehouse == uri, "a URI is not resolved against the config's folder")
        #expect(!project.warehouseDisplayName.contains("s3cret"))
        let clock = ContinuousClock()
        let started = clock.now
        let result = try workspace.run(["status", "--table", "events"])
        #expect(clock.now - started < .seconds(10), "fails within the connect timeout")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot connect to PostgreSQL at host 127.0.0.1 port 1 database wh"), "\(result.stderr)")
        #expect(!result.stderr.contains("s3cret"))
        let json = try workspace.run(["status", "--table", "events", "--json"])
        #expect(json.stdout.contains("\"code\" : \"resource.connection\""), "\(json.stdout)")
        #expect(!json.stdout.contains("s3cret"))
        let names = try FileManager.default.contentsOfDirectory(atPath: workspace.root)
        #expect(!names.contains { $0.hasPrefix("postgres") }, "no file named after the URI: \(names)")
    }

    @Test("Other URIs are refused too (exit 64), never a file name, and no password is printed in any form",
          arguments: ["mysql://user:s3cret@host/db", "mysql://user:pa@s3cret@host/db", "file:/tmp/x.db"])
    func otherURIs(uri: String) throws {
        let workspace = try EventsProject()
        try workspace.day(1)
        let result = try workspace.run(["load", "--table", "events", "--partition", "2024-01-01", "--warehouse", uri])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("not supported"), "\(result.stderr)")
        #expect(!result.stderr.contains("s3cret"), "\(result.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: workspace.root)
        #expect(Set(names) == ["loadkit.yml", "data"], "nothing created: \(names)")
    }

    @Test("Project(yaml:) takes the config from code")
    func yamlInCode() throws {
        let workspace = try EventsProject()
        try workspace.day(2)
        let yaml = try String(contentsOfFile: workspace.config, encoding: .utf8)
        let project = try Project(yaml: yaml, file: workspace.config)
        #expect(project.tables == ["events", "log", "daily"])
        let report = try project.load("events", partition: "2024-01-02")
        #expect(report.rowsWritten == 3)
        #expect(project.warehouse == workspace.warehouse)
    }
}
