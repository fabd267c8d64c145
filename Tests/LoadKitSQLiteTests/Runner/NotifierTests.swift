import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// `notify.on_failure`: the command gets LOADKIT_* variables and the summary as JSON on stdin.
@Suite struct NotifierTests {
    /// A finished failed run: `ok` succeeded, `bad` failed (terminal), `after` upstream_failed.
    static func failedSummary(_ warehouse: RunnerEventsWarehouse) throws -> RunSummary {
        let tasks = [
            RunTask(name: "ok", partitioned: false) { _ in .done(rows: 4) },
            RunTask(name: "bad", partitioned: false) { _ in
                throw LoadKitError(.invalidValue, "'abc' is not a real number",
                                   at: .init(file: "data/x.csv", line: 3, column: "v"))
            },
            RunTask(name: "after", dependsOn: ["bad"], partitioned: false) { _ in .done(rows: 0) },
        ]
        let runner = try warehouse.runner(tasks)
        return try runner.run(RunPlan(graph: runner.graph, tasks: ["ok", "after"], partitions: []),
                              command: "run", arguments: [])
    }

    @Test("The command gets the run id, status and failed count, and the loadkit.run/1 payload on stdin")
    func environmentAndStdin() throws {
        let warehouse = try RunnerEventsWarehouse()
        let summary = try Self.failedSummary(warehouse)
        #expect(summary.status == .failed)
        let warning = Notifier.notify(
            #"printf '%s\n' "$LOADKIT_RUN_ID" "$LOADKIT_STATUS" "$LOADKIT_FAILED_COUNT" > env.txt; cat > stdin.json"#,
            summary: summary, workingDirectory: warehouse.root)
        #expect(warning == nil)
        let env = try String(contentsOfFile: warehouse.dir.path("env.txt"), encoding: .utf8)
        #expect(env == "\(summary.runID)\nfailed\n2\n")

        let data = try Data(contentsOf: URL(fileURLWithPath: warehouse.dir.path("stdin.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == "loadkit.run/1")
        #expect(json["event"] as? String == "failure")
        #expect(json["runId"] as? String == summary.runID)
        #expect(json["status"] as? String == "failed")
        #expect(json["counts"] as? [String: Int] == ["success": 1, "failed": 1, "upstream_failed": 1])
        #expect(json["rerun"] as? String == "loadkit rerun \(summary.runID)")
        let failures = try #require(json["failures"] as? [[String: Any]])
        #expect(failures.count == 2)
        let byTable = Dictionary(uniqueKeysWithValues: failures.map { ($0["table"] as? String ?? "?", $0) })
        #expect(byTable["bad"]?["attempt"] as? Int == 1)
        #expect(byTable["bad"]?["error"] as? String == "data/x.csv, line 3, column v: 'abc' is not a real number")
        #expect(byTable["after"]?["attempt"] as? Int == 0)
        #expect(byTable["bad"].map { $0.keys.contains("partition") } == true)
    }

    @Test("A failing command returns a warning naming its exit status; it never throws")
    func failingCommand() throws {
        let warehouse = try RunnerEventsWarehouse()
        let summary = try Self.failedSummary(warehouse)
        #expect(Notifier.notify("exit 3", summary: summary, workingDirectory: warehouse.root)
            == "notify command 'exit 3' exited with status 3")
        #expect(Notifier.notify("./no-such-alert.sh", summary: summary, workingDirectory: warehouse.root)
            == "notify command './no-such-alert.sh' exited with status 127")
    }

    @Test("A command that ignores stdin succeeds, and the working directory is the one given")
    func ignoresStdin() throws {
        let warehouse = try RunnerEventsWarehouse()
        let summary = try Self.failedSummary(warehouse)
        #expect(Notifier.notify("pwd > where.txt", summary: summary, workingDirectory: warehouse.root) == nil)
        let where_ = try String(contentsOfFile: warehouse.dir.path("where.txt"), encoding: .utf8)
        #expect(URL(fileURLWithPath: where_.trimmingCharacters(in: .whitespacesAndNewlines)).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: warehouse.root).resolvingSymlinksInPath().path)
    }

    @Test("A working directory that does not exist gives a warning, not an error")
    func cannotStart() throws {
        let warehouse = try RunnerEventsWarehouse()
        let summary = try Self.failedSummary(warehouse)
        let warning = Notifier.notify("true", summary: summary, workingDirectory: warehouse.dir.path("missing"))
        #expect(warning != nil)
    }

    @Test("Via the CLI: a failed backfill runs notify.on_failure from the config's folder and still exits 1")
    func cliOnFailure() throws {
        let project = try RunnerCLIProject()
        try project.events.dir.write("loadkit.yml", RunnerCLIProject.yaml(
            notify: #"printf '%s %s %s' \"$LOADKIT_RUN_ID\" \"$LOADKIT_STATUS\" \"$LOADKIT_FAILED_COUNT\" > alert.txt"#))
        try project.events.writeDays(1...2)
        try project.events.writeDay(2, RunnerEventsWarehouse.csv(day: 2, badLine: 2))
        let result = try project.run(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-02",
                                      "--json", "--quiet"])
        #expect(result.status == 1, "\(result.stderr)")
        let runID = try runnerRunID(fromJSON: result.stdout)
        let alert = try String(contentsOfFile: project.events.dir.path("alert.txt"), encoding: .utf8)
        #expect(alert == "\(runID) failed 2")
    }

    @Test("With --json, stdout stays one JSON document even when the notify command prints")
    func cliJSONNotPolluted() throws {
        let project = try RunnerCLIProject()
        try project.events.dir.write("loadkit.yml", RunnerCLIProject.yaml(notify: "echo sent-alert"))
        try project.events.writeDays(1...1)
        try project.events.writeDay(1, RunnerEventsWarehouse.csv(day: 1, badLine: 2))
        let result = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01",
                                      "--json", "--quiet"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(!result.stdout.contains("sent-alert"))
        #expect((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) is [String: Any],
                "stdout is not one JSON document: \(result.stdout)")
    }
}
