import Foundation
import LoadKitTesting
import Testing

/// Notification hooks (SPEC.md §9): `on_failure`, `on_recovery`, `on_success`, `on_late`, the
/// `loadkit.run/1` payload, and hooks that fail or hang.
@Suite struct NotifyTests {
    static let golden = Paths.packageRoot + "/Fixtures/expected/notify-failure.json"

    /// The hook lines of `notify:` writing each event's payload to `<event>.json` (appending
    /// to `late.log` for on_late).
    static let recordingHooks = """
        notify:
          on_failure: "cat > failure.json"
          on_recovery: "cat > recovery.json"
          on_success: "cat > success.json"
          on_late: "cat >> late.log"
        """

    private func payload(_ project: EventsProject, _ name: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try parseObject(try String(contentsOfFile: project.directory.path(name), encoding: .utf8),
                        sourceLocation: sourceLocation)
    }

    @Test("on_failure gets the loadkit.run/1 payload, equal to the golden file but for ids, host, times and paths")
    func failurePayloadGolden() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01", notify: Self.recordingHooks)
        try project.day(1)
        try project.day(2, value: "abc")
        let summary = try project.due(at: "2024-01-03T00:00:00Z", status: 1)
        let runID = try #require(summary["runId"] as? String)
        var text = try String(contentsOfFile: project.directory.path("failure.json"), encoding: .utf8)
        let object = try payload(project, "failure.json")
        for key in ["startedAt", "finishedAt"] {
            let value = try #require(object[key] as? String)
            #expect(value.hasSuffix("Z") && value.count == 20, "\(key): \(value)")
            text = text.replacingOccurrences(of: "\"\(key)\" : \"\(value)\"", with: "\"\(key)\" : \"<\(key)>\"")
        }
        text = text.replacingOccurrences(of: runID, with: "<runId>")
            .replacingOccurrences(of: "\"\(ProcessInfo.processInfo.hostName)\"", with: "\"<host>\"")
            .replacingOccurrences(of: URL(fileURLWithPath: project.root).standardizedFileURL.path, with: "<root>")
        if ProcessInfo.processInfo.environment["LOADKIT_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: Self.golden, atomically: true, encoding: .utf8)
        }
        #expect(text == (try String(contentsOfFile: Self.golden, encoding: .utf8)))
        #expect(object["rerun"] as? String == "loadkit rerun \(runID) --config \(URL(fileURLWithPath: project.config).standardizedFileURL.path)")
        #expect(!FileManager.default.fileExists(atPath: project.directory.path("success.json")))
        #expect(!FileManager.default.fileExists(atPath: project.directory.path("recovery.json")))

        // The rerun command in the payload re-runs exactly what failed.
        try project.day(2)
        let words = (object["rerun"] as? String ?? "").split(separator: " ").dropFirst().map(String.init)
        let rerun = try ChildProcess.run(Paths.binary, words + ["--json", "--quiet"], environment: ["LOADKIT_FAILPOINT": ""])
        #expect(rerun.status == 0, "stderr: \(rerun.stderr)")
        #expect(try project.loadedDays() == ["2024-01-01", "2024-01-02"])
    }

    @Test("on_recovery fires once, for the first success after a failure of the same scope; on_success for every success")
    func recovery() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01", notify: Self.recordingHooks)
        try project.day(1)
        try project.day(2, value: "abc")
        _ = try project.due(at: "2024-01-03T00:00:00Z", status: 1)
        _ = try project.due(at: "2024-01-03T00:00:00Z", status: 1)
        try project.day(2)
        let fixed = try project.due(at: "2024-01-03T00:00:00Z")
        let recovery = try payload(project, "recovery.json")
        #expect(recovery["event"] as? String == "recovery")
        #expect(recovery["runId"] as? String == fixed["runId"] as? String)
        #expect(recovery["status"] as? String == "success")
        #expect(recovery["failures"] as? [Any] != nil && (recovery["failures"] as? [Any])!.isEmpty)
        #expect(recovery["rerun"] is NSNull)
        #expect(try payload(project, "success.json")["event"] as? String == "success")

        // The next success of the same scope is no recovery.
        try FileManager.default.removeItem(atPath: project.directory.path("recovery.json"))
        try project.day(3)
        _ = try project.due(at: "2024-01-04T00:00:00Z")
        #expect(!FileManager.default.fileExists(atPath: project.directory.path("recovery.json")))
        #expect(try payload(project, "success.json")["counts"] as? [String: Int] == ["success": 1])
    }

    @Test("on_late runs once per partition that becomes late, however many calls see it late")
    func lateOnce() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01, expected_by: 2h", notify: Self.recordingHooks)
        try project.day(1)
        _ = try project.due(at: "2024-01-02T01:00:00Z")       // day 1 loads; nothing late
        #expect(!FileManager.default.fileExists(atPath: project.directory.path("late.log")))
        _ = try project.due(at: "2024-01-03T01:00:00Z")       // day 2 waiting
        #expect(!FileManager.default.fileExists(atPath: project.directory.path("late.log")))
        _ = try project.due(at: "2024-01-03T02:00:00Z")       // day 2 late
        _ = try project.due(at: "2024-01-03T03:00:00Z")       // still late: no second alert
        _ = try project.due(at: "2024-01-04T02:00:00Z")       // day 3 late too
        let log = try String(contentsOfFile: project.directory.path("late.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "\"schema\" : \"loadkit.run/1\"").count - 1 == 2, "\(log)")
        #expect(log.components(separatedBy: "\"partition\" : \"2024-01-02\"").count - 1 == 1)
        #expect(log.components(separatedBy: "\"partition\" : \"2024-01-03\"").count - 1 == 1)
        #expect(log.contains("\"event\" : \"late\""))
        #expect(try project.count("SELECT count(*) FROM _loadkit_notifications WHERE event = 'late'") == 2)
    }

    @Test("A failing hook is reported and changes nothing: the run's exit code and rows stay")
    func failingHook() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01", notify: "notify:\n  on_success: \"exit 3\"")
        try project.day(1)
        let result = try project.run(["run", "--due", "--quiet"], environment: ["LOADKIT_NOW": "2024-01-02"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("loadkit: warning: notify command 'exit 3' exited with status 3"), "\(result.stderr)")
        #expect(try project.loadedDays() == ["2024-01-01"])
    }

    @Test("A hook running past the hook timeout is killed and reported; the run's exit code stays")
    func hangingHook() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01", notify: "notify:\n  on_failure: \"sleep 60\"")
        try project.day(1, value: "abc")
        let started = Date()
        let result = try project.run(["run", "--due", "--quiet"],
                                     environment: ["LOADKIT_NOW": "2024-01-02", "LOADKIT_HOOK_TIMEOUT": "300ms"])
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(result.status == 1)
        #expect(result.stderr.contains("notify hook 'sleep 60' was killed after running 0.3 s (the hook timeout)"), "\(result.stderr)")
    }

    @Test("SIGTERM during a hanging hook kills the hook and loadkit exits at once")
    func sigtermDuringHook() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01",
                                                  notify: "notify:\n  on_success: \"echo $$ > hook.pid; exec sleep 60\"")
        try project.day(1)
        let started = Date()
        let running = try project.start(["run", "--due", "--quiet"], environment: ["LOADKIT_NOW": "2024-01-02"])
        let pidFile = project.directory.path("hook.pid")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? String(contentsOfFile: pidFile, encoding: .utf8))?.hasSuffix("\n") != true {
            usleep(10_000)
        }
        let hookPID = try #require(Int32((try String(contentsOfFile: pidFile, encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        running.signal(SIGTERM)
        let result = running.wait()
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("notify hook 'echo $$ > hook.pid; exec sleep 60' was killed: loadkit is stopping"),
                "stderr: \(result.stderr)")
        #expect(kill(hookPID, 0) != 0)
        #expect(try project.loadedDays() == ["2024-01-01"])
    }
}
