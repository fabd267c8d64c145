import Foundation
import Testing

/// Locks per (table, partition) (SPEC.md §3), made to overlap with `LOADKIT_FAILPOINT=…:sleep=…`
/// instead of racing two processes.
@Suite struct PartitionLockTests {
    @Test("A static and a dynamic load of one partition exclude each other; the second names the holder and lock_timeout")
    func staticAgainstDynamic() throws {
        var definition = EventsProject.Definition()
        definition.lockTimeout = "1s"
        let project = try EventsProject(definition)
        try project.day(1)
        let holder = try project.start(["load", "--table", "events", "--partition", "2024-01-01"],
                                       environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=4s"])
        project.waitForHeldLock()
        let second = try project.run(["load", "--table", "events", "--input", "data/2024-01-01.csv"])
        let first = holder.wait()
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(second.status == 1, "stderr: \(second.stderr)")
        let runID = try #require(try project.query("SELECT run_id FROM _loadkit_ledger WHERE table_name = 'events'").first?.first)
        guard case .text(let holderRun) = runID else { Issue.record("no run id in the ledger"); return }
        #expect(second.stderr.contains("partition events 2024-01-01 is locked by run \(holderRun)"), "stderr: \(second.stderr)")
        #expect(second.stderr.contains("lock_timeout"))
        #expect(try project.count("SELECT count(*) FROM events") == 3)
        #expect(try project.count("SELECT count(*) FROM _loadkit_ledger WHERE table_name = 'events'") == 1)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'failed' AND error LIKE '%is locked by run%'") == 1)
    }

    @Test("Two identical backfills at once commit each partition once; the one that waited re-checks the ledger and skips")
    func identicalBackfills() throws {
        let project = try EventsProject()
        for d in 1...4 { try project.day(d) }
        let arguments = ["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-04", "--json", "--quiet"]
        let slow = ["LOADKIT_FAILPOINT": "after_staging:sleep=300ms"]
        let a = try project.start(arguments, environment: slow)
        project.waitForHeldLock()
        let b = try project.start(arguments, environment: slow)
        let results = [a.wait(), b.wait()]
        var loaded = 0, skipped = 0
        for result in results {
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let summary = try parseObject(result.stdout)
            loaded += counts(summary)?["success"] ?? 0
            skipped += counts(summary)?["skipped"] ?? 0
        }
        #expect(loaded == 4)
        #expect(skipped == 4)
        #expect(try project.count("SELECT count(*) FROM events") == 12)
        #expect(try project.count("SELECT count(*) FROM _loadkit_ledger WHERE table_name = 'events'") == 4)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'success'") == 4)
    }
}
