import Foundation
import LoadKit
import LoadKitTesting
import Testing

/// Locks are per (table, partition), whatever the load id (SPEC.md §3); overlaps are made with
/// `LOADKIT_FAILPOINT=…:sleep=…`, never with races.
@Suite struct PartitionLockTests {
    /// Waits until some lock file of the warehouse is held by another process (an event, not
    /// a time), at most 30 s.
    private func waitForHeldLock(_ project: EventsProject) throws {
        let folder = project.warehouse + ".loadkit-locks"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let fd = open(folder + "/" + name, O_RDONLY)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                if flock(fd, LOCK_SH | LOCK_NB) != 0 { return }
                flock(fd, LOCK_UN)
            }
            usleep(10_000)
        }
        Issue.record("no lock was taken within 30 s")
    }

    @Test("A dynamic load of a partition a static load holds waits lock_timeout, then names the holder's run")
    func staticAndDynamic() throws {
        var definition = EventsProject.Definition()
        definition.lockTimeout = "1s"
        let project = try EventsProject(definition)
        try project.day(1)
        let holder = try project.start(["load", "--table", "events", "--partition", "2024-01-01", "--json", "--quiet"],
                                       environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=3s"])
        try waitForHeldLock(project)
        let file = try project.directory.write("other.csv", "id,ts,v,tag\n9,2024-01-01T23:00:00Z,9,x\n")
        let waiter = try project.run(["load", "--table", "events", "--input", file])
        let held = holder.wait()
        #expect(held.status == 0, "\(held.stderr)")
        let holderRun = try #require(try parseObject(held.stdout)["loadID"] as? String)
        #expect(!holderRun.isEmpty)
        #expect(waiter.status == 1)
        #expect(waiter.stderr.contains("partition events 2024-01-01 is locked by run "), "\(waiter.stderr)")
        #expect(waiter.stderr.contains("lock_timeout"))
        let runID = try #require(try project.query("SELECT run_id FROM _loadkit_ledger WHERE table_name = 'events'").first?.first?.textValue)
        #expect(waiter.stderr.contains(runID))
        // Only the holder's rows.
        #expect(try project.count("SELECT count(*) FROM events") == 3)
    }

    @Test("Two identical backfills of 4 days at once commit 4 loads, not more: the one that waited re-checks the ledger")
    func identicalBackfills() throws {
        let project = try EventsProject()
        for d in 1...4 { try project.day(d) }
        let arguments = ["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-04", "--json", "--quiet"]
        let environment = ["LOADKIT_FAILPOINT": "after_staging:sleep=300ms"]
        let a = try project.start(arguments, environment: environment)
        let b = try project.start(arguments, environment: environment)
        let (ra, rb) = (a.wait(), b.wait())
        #expect(ra.status == 0, "\(ra.stderr)")
        #expect(rb.status == 0, "\(rb.stderr)")
        let ca = counts(try parseObject(ra.stdout)) ?? [:], cb = counts(try parseObject(rb.stdout)) ?? [:]
        #expect((ca["success"] ?? 0) + (cb["success"] ?? 0) == 4, "\(ca) \(cb)")
        #expect((ca["skipped"] ?? 0) + (cb["skipped"] ?? 0) == 4)
        #expect(try project.count("SELECT count(*) FROM events") == 12)
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'success'") == 4)
    }
}
