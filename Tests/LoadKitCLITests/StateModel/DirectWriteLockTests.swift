import Foundation
import LoadKit
import Testing

/// A direct replace holds the warehouse's write lock for its whole load (SQLite has one writer):
/// another load waits for it up to `lock_timeout` and then goes on, it does not fail. Made to
/// overlap with `LOADKIT_FAILPOINT=before_commit:sleep=…`, which holds the open write
/// transaction in both strategies.
@Suite struct DirectWriteLockTests {
    @Test("A dynamic load of a partition whose static load holds the write transaction waits for it, then loads")
    func dynamicWaitsForStaticWriter() throws {
        var definition = EventsProject.Definition()
        definition.lockTimeout = "20s"
        let project = try EventsProject(definition)
        try project.day(1)
        let other = try project.directory.write("data/other.csv",
                                                "id,ts,v,tag\n7,2024-01-01T20:00:00Z,9.5,x\n8,2024-01-02T20:00:00Z,9.5,y\n")
        let holder = try project.start(["load", "--table", "events", "--partition", "2024-01-01", "--json", "--quiet"],
                                       environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=2s"])
        project.waitForHeldLock()
        let second = try project.run(["load", "--table", "events", "--input", other, "--json", "--quiet"])
        let first = holder.wait()
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(try parseObject(first.stdout)["strategy"] as? String == "direct")
        // The second ran after the first committed: its rows replace day 1 and add day 2.
        #expect(try project.count("SELECT count(*) FROM events") == 2)
        #expect(try project.count("SELECT count(*) FROM events WHERE id IN (7, 8)") == 2)
        #expect(try project.count("SELECT count(*) FROM _loadkit_ledger WHERE table_name = 'events'") == 2)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'success'") == 2)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status <> 'success'") == 0)
    }

    @Test("A backfill with 2 workers writing directly: a worker waits for the other's write lock; every attempt succeeds at once")
    func twoWorkersTakeTurns() throws {
        let project = try EventsProject()
        for d in 1...6 { try project.day(d) }
        let summary = try project.json(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-06",
                                        "--concurrency", "2"],
                                       environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=300ms"])
        #expect(counts(summary)?["success"] == 6, "\(summary)")
        #expect(try project.count("SELECT count(*) FROM events") == 18)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE table_name = 'events'") == 6)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'success' AND attempt = 1") == 6)
        #expect(try project.count("SELECT count(DISTINCT day) FROM events") == 6)
    }
}
