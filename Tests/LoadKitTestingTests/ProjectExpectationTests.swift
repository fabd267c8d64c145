import Foundation
import LoadKitProject
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A small project on disk: `events` loaded from daily CSV files (2024-01-05 … 07) and the
/// `daily` transform over it, in a config whose own warehouse is `prod.db`; the project is
/// opened on a temporary warehouse of another name, as a user's test would.
struct SmallProject {
    let warehouse: TemporaryWarehouse
    let config: String
    let project: Project

    /// `moreTables`: YAML table entries added to the config.
    init(moreTables: String = "", days: [Int] = [5, 6, 7]) throws {
        warehouse = try TemporaryWarehouse()
        for day in days {
            _ = try Events.write(warehouse, name: "events-2024-01-0\(day).csv", days: [day])
        }
        config = try warehouse.directory.write("loadkit.yml", """
            warehouse: prod.db
            tables:
              events:
                source: { path: "events-{date}.csv" }
                columns: { id: integer, ts: timestamp, v: real }
                partition: { column: event_date, granularity: day, from: ts, timezone: America/New_York }
              daily:
                partition: { column: event_date, granularity: day, timezone: America/New_York }
                sql: SELECT event_date, count(*) AS n, sum(v) AS total FROM events WHERE event_date = :partition GROUP BY event_date
                depends_on: [events]
            """ + moreTables)
        let scratch = warehouse.directory.path("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        project = try Project(configPath: config, warehouse: scratch + "/test-copy.sqlite")
    }

    /// Runs `sql` on the project's warehouse.
    func execute(_ sql: String) throws {
        try SQLiteDestination(path: project.warehouse).connection.execute(sql)
    }

    /// A transform whose rows differ every time it runs.
    static let noisy = """

          noisy:
            partition: { column: event_date, granularity: day, timezone: America/New_York }
            columns: { event_date: text, n: integer }
            sql: SELECT event_date, count(*) * 1000 + abs(random() % 1000) AS n FROM events WHERE event_date = :partition GROUP BY event_date
            depends_on: [events]
        """
}

/// The texts of the issues a `withKnownIssue` matcher saw (it may be called from any thread).
final class IssueLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String] = []
    /// Keeps `text`; returns `true`, so every issue counts as known.
    func append(_ text: String) -> Bool {
        lock.withLock { seen.append(text) }
        return true
    }
    var texts: [String] { lock.withLock { seen } }
}

/// The text of an issue's comments.
private func text(_ issue: Issue) -> String { issue.comments.map(\.rawValue).joined() }

@Suite struct ProjectIdempotencyTests {
    @Test("expectIdempotent passes for a backfill, plain and forced, and for a dynamic load")
    func passes() throws {
        let small = try SmallProject()
        let project = small.project
        try expectIdempotent(project) {
            try project.backfill("daily", from: "2024-01-05", to: "2024-01-07")
        }
        try expectIdempotent(project, table: "events") {
            try project.backfill("events", from: "2024-01-05", to: "2024-01-07", options: RunOptions(force: true))
        }
        let all = try Events.write(small.warehouse, name: "all.csv")
        try expectIdempotent(project, table: "events") { try project.load("events", file: all) }
        // It read the project's warehouse, not the config's prod.db nor a warehouse.db.
        #expect(try TableSnapshot.take("events", of: project).rows.count == 6)
        #expect(try TableSnapshot.take("daily", of: project).partitions.count == 3)
        #expect(!FileManager.default.fileExists(atPath: small.warehouse.directory.path("prod.db")))
        #expect(!FileManager.default.fileExists(atPath: small.warehouse.path))
    }

    @Test("expectIdempotent reports an action that adds rows each time it runs, naming table and rows")
    func reportsAppendingAction() throws {
        let small = try SmallProject()
        let project = small.project
        try project.backfill("events", from: "2024-01-05", to: "2024-01-06")
        let issues = IssueLog()
        try withKnownIssue {
            try expectIdempotent(project, table: "events") {
                // A hand-written INSERT outside loadkit: every run adds the row again.
                try small.execute("INSERT INTO events VALUES (99, '2024-01-06T20:00:00Z', 5.0, '2024-01-06')")
            }
        } matching: { issue in issues.append(text(issue)) }
        let texts = issues.texts
        #expect(texts.contains {
            $0.hasPrefix("not idempotent: running the action again changed table 'events'\n1 row only after:\n")
                && $0.contains("  (99, '2024-01-06T20:00:00Z', 5.0, '2024-01-06')\n")
                && $0.contains("partition 2024-01-06: ") && $0.contains(" (3 rows) → ") && $0.hasSuffix(" (4 rows)")
        }, "\(texts)")
        // The row the ledger does not know of is reported too.
        #expect(texts.contains { $0.hasPrefix("the ledger of 'events' says 8a3fb6e10c119383506f75eff8f5a539 (2 rows) for partition 2024-01-06 but the data is ") },
                "\(texts)")
    }

    @Test("expectIdempotent reports a transform whose rows change on every forced run")
    func reportsNoisyTransform() throws {
        let small = try SmallProject(moreTables: SmallProject.noisy)
        let project = small.project
        try withKnownIssue {
            try expectIdempotent(project, tables: ["events", "noisy"]) {
                try project.backfill("noisy", from: "2024-01-05", to: "2024-01-06", options: RunOptions(force: true))
            }
        } matching: { issue in
            text(issue).hasPrefix("not idempotent: running the action again changed table 'noisy'\n")
        }
    }

    @Test("expectIdempotent reports a run that failed rather than passing on two failures")
    func reportsFailedRun() throws {
        let small = try SmallProject(days: [5, 6])
        let project = small.project
        try withKnownIssue {
            try expectIdempotent(project) {
                try project.backfill("daily", from: "2024-01-05", to: "2024-01-07")
            }
        } matching: { issue in
            let text = text(issue)
            return (text.hasPrefix("the first run ") || text.hasPrefix("the second run "))
                && text.contains(" ended failed, which proves nothing about idempotency:\n")
                && text.contains("\n  events 2024-01-07: failed: ")
        }
    }
}

@Suite struct ProjectScopeTests {
    @Test("expectScoped passes for a partition load and names the partitions an action touched outside its scope")
    func scoped() throws {
        let small = try SmallProject()
        let project = small.project
        try project.backfill("events", from: "2024-01-05", to: "2024-01-07")
        try expectScoped(project, table: "events", to: ["2024-01-06"]) {
            try small.execute("UPDATE events SET v = 7 WHERE event_date = '2024-01-06'")
            try project.load("events", partition: "2024-01-06")
        }
        try withKnownIssue {
            try expectScoped(project, table: "events", to: ["2024-01-06"]) {
                try project.load("events", partition: "2024-01-06")
                try small.execute("UPDATE events SET v = 9 WHERE event_date IN ('2024-01-05', '2024-01-07')")
            }
        } matching: { issue in
            let text = text(issue)
            return text.hasPrefix("not scoped: partitions outside [\"2024-01-06\"] changed: 2024-01-05, 2024-01-07\n")
                && text.contains("  (12, '2024-01-07T12:00:00Z', 9.0, '2024-01-07')\n")
        }
    }

    @Test("expectScoped refuses a key that does not fit the table and a table the config does not declare")
    func refusesMisuse() throws {
        let small = try SmallProject()
        #expect(throws: (any Error).self) {
            try expectScoped(small.project, table: "events", to: ["yesterday"]) {}
        }
        #expect(throws: ConfigError.self) {
            try expectScoped(small.project, table: "nope", to: ["2024-01-05"]) {}
        }
    }

    @Test("A snapshot of a project whose warehouse does not exist yet is empty and creates nothing")
    func emptySnapshot() throws {
        let small = try SmallProject()
        let snapshot = try TableSnapshot.take("events", of: small.project)
        #expect(snapshot.rows.isEmpty && snapshot.ledger.isEmpty && snapshot.partitionColumn == "event_date")
        #expect(!FileManager.default.fileExists(atPath: small.project.warehouse))
    }
}

@Suite struct ProjectCrashRecoveryTests {
    @Test("expectRecoversAfterCrash passes for a partition and for an input file, on a warehouse of any name")
    func recovers() throws {
        let small = try SmallProject()
        try expectRecoversAfterCrash(small.project, table: "events", partition: "2024-01-06",
                                     loadkit: CrashRecoveryExpectationTests.binary)
        let all = try Events.write(small.warehouse, name: "all.csv")
        try expectRecoversAfterCrash(small.project, table: "events", input: all, loadkit: CrashRecoveryExpectationTests.binary)
        #expect(try TableSnapshot.take("events", of: small.project).rows.count == 6)
        #expect(!FileManager.default.fileExists(atPath: small.warehouse.directory.path("prod.db")))
    }

    @Test("expectRecoversAfterCrash reports a load that is not idempotent, and one that fails")
    func reports() throws {
        let small = try SmallProject(moreTables: SmallProject.noisy)
        try small.project.load("events", partition: "2024-01-06")
        try withKnownIssue {
            try expectRecoversAfterCrash(small.project, table: "noisy", partition: "2024-01-06",
                                         loadkit: CrashRecoveryExpectationTests.binary)
        } matching: { issue in
            let text = text(issue)
            return (text.hasPrefix("after a crash at ") && text.contains(" and a rerun, table 'noisy' differs from a clean load\n"))
                || (text.hasPrefix("a crash at ") && text.contains(" left table 'noisy' neither as before nor as after the load\n"))
        }
        try withKnownIssue {
            try expectRecoversAfterCrash(small.project, table: "events", partition: "2024-01-09",
                                         loadkit: CrashRecoveryExpectationTests.binary)
        } matching: { issue in
            text(issue).hasPrefix("the load itself failed: ") && text(issue).contains("events-2024-01-09.csv")
        }
    }

    @Test("expectRecoversAfterCrash reports a missing binary and a project with no config file")
    func reportsSetup() throws {
        let small = try SmallProject()
        try withKnownIssue {
            try expectRecoversAfterCrash(small.project, table: "events", partition: "2024-01-06",
                                         loadkit: small.warehouse.directory.path("no-loadkit"))
        } matching: { issue in
            text(issue).hasPrefix("no loadkit binary at ")
        }
        let inCode = try Project(yaml: try String(contentsOfFile: small.config, encoding: .utf8),
                                 file: small.warehouse.directory.path("not-written.yml"))
        try withKnownIssue {
            try expectRecoversAfterCrash(inCode, table: "events", partition: "2024-01-06",
                                         loadkit: CrashRecoveryExpectationTests.binary)
        } matching: { issue in
            text(issue).contains("is not a file the loadkit command can read")
        }
    }
}
