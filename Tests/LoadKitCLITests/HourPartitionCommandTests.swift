import Foundation
import LoadKitTesting
import Testing

/// Hour tables through the binary: day keys in `--from`/`--to` mean every hour of those days
/// (23 or 25 on daylight-saving days), and a `{hour}` template that would read one file for the
/// two 01:00 hours of a fall-back day is refused before anything runs.
@Suite struct HourPartitionCommandTests {
    /// `events` by the hour in `zone`, from `path`.
    static func project(zone: String = "UTC", path: String = "data/{key}.csv") throws -> EventsProject {
        try EventsProject(.init(sourcePath: path, granularity: "hour", timezone: zone))
    }

    @Test("status --from DAY --to DAY on an hour table lists every hour of both days")
    func statusDayKeys() throws {
        let project = try Self.project()
        let states = try project.states("events", range: ("2024-01-01", "2024-01-02"))
        #expect(states.count == 48)
        #expect(states["2024-01-01T00:00+00:00"]?["state"] as? String == "missing")
        #expect(states["2024-01-02T23:00+00:00"] != nil)
    }

    @Test("A daylight-saving day of a New York hour table has 23 or 25 hours", arguments: [
        ("2024-03-10", 23), ("2024-11-03", 25), ("2024-11-04", 24),
    ])
    func dstDays(day: String, hours: Int) throws {
        let project = try Self.project(zone: "America/New_York")
        #expect(try project.states("events", range: (day, day)).count == hours)
        let plan = try project.json(["backfill", "--table", "events", "--from", day, "--to", day, "--dry-run"], status: 1)
        let steps = try #require(plan["plan"] as? [[String: Any]])
        #expect(steps.filter { $0["table"] as? String == "events" }.count == hours)
    }

    @Test("backfill --from DAY --to DAY loads the 24 hours of the day")
    func backfillDay() throws {
        let project = try Self.project()
        for hour in 0..<24 {
            let h = hour < 10 ? "0\(hour)" : "\(hour)"
            try project.directory.write("data/2024-01-01T\(h):00+00:00.csv",
                                        "id,ts,v,tag\n\(hour),2024-01-01T\(h):10:00Z,1.5,t\n")
        }
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(summary["status"] as? String == "success")
        #expect(counts(summary) == ["success": 24])
        #expect(try project.count("SELECT count(*) FROM events") == 24)
    }

    @Test("A {hour} template on a fall-back day is refused before anything runs, naming both partitions",
          arguments: [[String](), ["--dry-run"]])
    func fallBackHour(extra: [String]) throws {
        let project = try Self.project(zone: "America/New_York", path: "data/{date}-{hour}.csv")
        let result = try project.run(["backfill", "--table", "events", "--from", "2024-11-03", "--to", "2024-11-03"] + extra)
        #expect(result.status == 64)
        #expect(result.stderr == "loadkit: error: table 'events': partitions 2024-11-03T01:00-04:00 and "
            + "2024-11-03T01:00-05:00 both read data/2024-11-03-01.csv; use {key} in the path template "
            + "(it includes the UTC offset)\n")
        #expect(result.stdout == "")
        #expect(!FileManager.default.fileExists(atPath: project.warehouse), "nothing ran, not even a run record")
    }

    @Test("The same template is fine for days without a repeated hour, and {key} is fine on the fall-back day")
    func noRepeatedHour() throws {
        let hourTemplate = try Self.project(zone: "America/New_York", path: "data/{date}-{hour}.csv")
        let plan = try hourTemplate.json(["backfill", "--table", "events", "--from", "2024-11-04", "--to", "2024-11-04",
                                          "--dry-run"], status: 1)
        #expect((plan["plan"] as? [[String: Any]])?.count == 24)
        let keyTemplate = try Self.project(zone: "America/New_York")
        let keyPlan = try keyTemplate.json(["backfill", "--table", "events", "--from", "2024-11-03", "--to", "2024-11-03",
                                            "--dry-run"], status: 1)
        #expect((keyPlan["plan"] as? [[String: Any]])?.count == 25)
    }

    @Test("--json: the fall-back refusal is an error document with code usage")
    func fallBackJSON() throws {
        let project = try Self.project(zone: "America/New_York", path: "data/{date}-{hour}.csv")
        let document = try project.json(["backfill", "--table", "events", "--from", "2024-11-03", "--to", "2024-11-03"],
                                        status: 64)
        let error = try #require(document["error"] as? [String: Any])
        #expect(error["code"] as? String == "usage")
        #expect((error["message"] as? String)?.hasPrefix("table 'events': partitions 2024-11-03T01:00-04:00 and") == true)
    }
}
