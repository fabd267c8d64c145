import Foundation
import Testing

/// A bad `schedule:` is a config error (exit 64) that names the key.
@Suite struct ScheduleConfigTests {
    @Test("Each schedule mistake exits 64 naming its key", arguments: [
        ("delay: 1h", "tables.events.schedule", "missing key 'start'"),
        ("start: 2024-01-01, every: 1h", "tables.events.schedule", "unknown key 'every'"),
        ("start: 2024-13-01", "tables.events.schedule.start", "2024-13-01"),
        ("start: 2024-01-01, delay: soon", "tables.events.schedule.delay", "soon"),
        ("start: 2024-01-01, catch_up: 0", "tables.events.schedule.catch_up", "0"),
        ("start: 2024-01-01, lookback: -1", "tables.events.schedule.lookback", "-1"),
        ("start: 2024-01-01, delay: 2h, expected_by: 1h", "tables.events.schedule", "expected_by"),
    ])
    func invalid(schedule: String, key: String, fact: String) throws {
        let project = try EventsProject.scheduled(schedule)
        let result = try project.run(["run", "--due", "--json"], environment: ["LOADKIT_NOW": "2024-01-02"])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        let error = try parseObject(result.stdout)["error"] as? [String: Any]
        #expect(error?["key"] as? String == key, "stdout: \(result.stdout)")
        #expect((error?["message"] as? String ?? "").contains(fact), "stdout: \(result.stdout)")
        #expect(error?["line"] as? Int != nil)
    }

    @Test("A schedule on an unpartitioned table exits 64 naming it")
    func unpartitioned() throws {
        let project = try EventsProject()
        var text = try String(contentsOfFile: project.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "    write: append\n", with: "    write: append\n    schedule: { start: 2024-01-01 }\n")
        _ = try project.directory.write("loadkit.yml", text)
        let result = try project.run(["run", "--due"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("tables.log.schedule: a schedule needs a partitioned table"), "stderr: \(result.stderr)")
    }

    @Test("run --due with no scheduled table is a usage error")
    func nothingScheduled() throws {
        let project = try EventsProject()
        let result = try project.run(["run", "--due"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("no table has a schedule"), "stderr: \(result.stderr)")
    }
}

/// `loadkit schedule print-cron|print-systemd`: the lines to install.
@Suite struct SchedulePrintTests {
    @Test("print-cron prints one crontab line calling run --due with absolute paths")
    func cron() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01")
        let result = try project.run(["schedule", "print-cron", "--every", "10"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let config = URL(fileURLWithPath: project.config).standardizedFileURL.path
        let line = try #require(result.stdout.split(separator: "\n").last.map(String.init))
        #expect(line.hasPrefix("*/10 * * * * /"))
        #expect(line.contains(" run --due --quiet --config \(config) >> "))
    }

    @Test("print-systemd prints a oneshot service with SuccessExitStatus=75 and a persistent timer")
    func systemd() throws {
        let project = try EventsProject.scheduled("start: 2024-01-01")
        let result = try project.run(["schedule", "print-systemd", "--every", "15"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("\nSuccessExitStatus=75\n"))
        #expect(result.stdout.contains("\nOnCalendar=*:0/15\nPersistent=true\n"))
        #expect(result.stdout.contains(" run --due --quiet --config \(URL(fileURLWithPath: project.config).standardizedFileURL.path)\n"))
        #expect(try project.run(["schedule", "print-cron", "--every", "0"]).status == 64)
    }
}
