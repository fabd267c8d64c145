import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Ctrl-C and SIGTERM stop a run at once, even while it waits to retry (SPEC.md §3).
@Suite struct InterruptTests {
    @Test("SIGINT during a retry wait: the run ends within about a second, recorded interrupted, not after 5 attempts",
          arguments: [SIGINT, SIGTERM])
    func interruptDuringRetry(signal: Int32) throws {
        var definition = EventsProject.Definition()
        definition.retry = "{ attempts: 5, initial_delay: 30s, max_delay: 30s }"
        let project = try EventsProject(definition)
        try project.day(1)
        let child = try project.start(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01",
                                       "--json", "--quiet"],
                                      environment: ["LOADKIT_FAILPOINT": "before_commit:error"])
        // Waits for the event, not for time: the first failed attempt is in the run log.
        let deadline = Date().addingTimeInterval(30)
        var failed: Int64 = 0
        while failed == 0 && Date() < deadline {
            if FileManager.default.fileExists(atPath: project.warehouse),
               let rows = try? SQLiteDestination(readingOnly: project.warehouse).connection
                   .query("SELECT count(*) FROM _loadkit_attempts WHERE status = 'failed'"),
               case .integer(let n) = rows.first?.first {
                failed = n
            }
            if failed == 0 { usleep(20_000) }
        }
        try #require(failed >= 1, "the first attempt never failed")
        let signalled = Date()
        child.signal(signal)
        let result = child.wait()
        let seconds = Date().timeIntervalSince(signalled)
        #expect(seconds < 3, "took \(seconds) s after the signal")
        #expect(result.status == 1)
        let summary = try parseObject(result.stdout)
        #expect(summary["status"] as? String == "interrupted")
        let item = try #require(try summaryItems(summary).first)
        #expect((item["message"] as? String)?.contains("not retried: the run was interrupted") == true)
        #expect(try project.query("SELECT status FROM _loadkit_runs") == [[.text("interrupted")]])
        #expect(try project.count("SELECT count(*) FROM _loadkit_attempts WHERE status = 'running'") == 0)
        #expect(try project.count("SELECT count(*) FROM events") == 0)
    }
}
