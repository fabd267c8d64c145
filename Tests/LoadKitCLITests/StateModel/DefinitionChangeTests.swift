import Foundation
import LoadKit
import Testing

/// A changed table definition is seen (SPEC.md G6): stale and reloaded, or refused when it would
/// split or merge loaded partitions.
@Suite struct DefinitionChangeTests {
    /// Three days loaded with the default definition.
    private func loaded() throws -> EventsProject {
        let project = try EventsProject()
        for d in 1...3 { try project.day(d) }
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-03"])
        #expect(counts(summary) == ["success": 3])
        return project
    }

    @Test("Changing null tokens makes loaded partitions stale; a plain backfill reloads them")
    func nullTokens() throws {
        let project = try loaded()
        #expect(try project.count("SELECT count(*) FROM events WHERE tag IS NULL") == 3)
        try project.write(.init(nullValues: "[]"))
        let states = try project.states("events")
        #expect(states.values.map { $0["state"] as? String } == ["stale", "stale", "stale"])
        #expect(states["2024-01-01"]?["reason"] as? String == "definition changed")
        let dry = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-03", "--dry-run"])
        #expect((dry["plan"] as? [[String: Any]])?.map { $0["action"] as? String } == ["reload", "reload", "reload"])
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-03"])
        #expect(counts(summary) == ["success": 3])
        #expect(try project.count("SELECT count(*) FROM events WHERE tag = 'NA'") == 3)
        #expect(try project.states("events").values.allSatisfy { $0["state"] as? String == "loaded" })
        let again = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-03"])
        #expect(counts(again) == ["skipped": 3])
    }

    @Test("Changing a column's type makes its partitions stale; a backfill reloads them with the new type")
    func columnType() throws {
        let project = try loaded()
        try project.write(.init(vType: "text"))
        #expect(try project.states("events").values.allSatisfy { $0["state"] as? String == "stale" })
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-03"])
        #expect(counts(summary) == ["success": 3])
        #expect(try project.query("SELECT DISTINCT typeof(v) FROM events") == [[.text("text")]])
        #expect(try project.count("SELECT count(*) FROM events") == 9)
    }

    @Test("day → month is refused naming the change and the rebuild command; the table is untouched; --rebuild loads it once",
          arguments: [
            (EventsProject.Definition(sourcePath: "data/{year}-{month}.csv", granularity: "month"), "granularity day → month", "2024-01"),
            (EventsProject.Definition(timezone: "America/New_York"), "partition time zone UTC → America/New_York", "2024-01-01"),
          ])
    func partitioningChange(definition: EventsProject.Definition, change: String, key: String) throws {
        let project = try loaded()
        let before = try project.fingerprint("events")
        let ledgerBefore = try project.query("SELECT * FROM _loadkit_ledger ORDER BY load_id")
        try project.write(definition)
        if definition.granularity == "month" {
            // The month's file holds every day's rows.
            var text = "id,ts,v,tag\n"
            for d in 1...3 { text += try String(contentsOfFile: project.directory.path("data/2024-01-0\(d).csv"), encoding: .utf8)
                .split(separator: "\n").dropFirst().joined(separator: "\n") + "\n" }
            _ = try project.directory.write("data/2024-01.csv", text)
        }
        let result = try project.run(["backfill", "--table", "events", "--from", key, "--to", key, "--quiet"])
        #expect(result.status == 1)
        #expect(result.stdout.contains(change), "\(result.stdout)")
        #expect(result.stdout.contains("--rebuild"))
        #expect(try project.fingerprint("events") == before)
        #expect(try project.query("SELECT * FROM _loadkit_ledger ORDER BY load_id") == ledgerBefore)

        let load = try project.run(["load", "--table", "events", "--partition", key])
        #expect(load.status == 1)
        #expect(load.stderr.contains(change))

        let rebuilt = try project.json(["backfill", "--table", "events", "--from", key, "--to", key, "--rebuild"])
        #expect(rebuilt["status"] as? String == "success")
        let rows: Int64 = definition.granularity == "month" ? 9 : 3
        #expect(try project.count("SELECT count(*) FROM events") == rows)
        #expect(try project.count("SELECT count(DISTINCT id) FROM events") == rows)
    }
}
