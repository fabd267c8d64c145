import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// Two `loadkit backfill` processes over overlapping ranges at the same moment.
@Suite struct ConcurrentBackfillTests {
    /// Starts both commands back to back and waits for both.
    static func runTogether(_ project: RunnerCLIProject, _ a: [String], _ b: [String],
                            sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (RunnerChild.Ended, RunnerChild.Ended) {
        try #require(FileManager.default.isExecutableFile(atPath: RunnerPaths.binary),
                     "loadkit binary not found at \(RunnerPaths.binary)", sourceLocation: sourceLocation)
        let first = try RunnerChild(a, in: project.root, outputPrefix: project.events.dir.path("job-a"))
        let second = try RunnerChild(b, in: project.root, outputPrefix: project.events.dir.path("job-b"))
        return (first.wait(), second.wait())
    }

    /// Per (table, partition): rows and fingerprint, from the ledger.
    static func fingerprints(_ warehouse: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for table in ["events", "daily"] {
            for row in try RunnerEventsWarehouse.ledger(at: warehouse, table: table) {
                result["\(table) \(row.partition ?? "-")"] = "\(row.rows) \(row.fingerprint) \(row.sourceFingerprint)"
            }
        }
        return result
    }

    @Test("Overlapping backfills started together both succeed and end as one backfill of the union")
    func overlapping() throws {
        let project = try RunnerCLIProject()
        try project.events.writeDays(1...9)
        try project.events.dir.write("fresh.yml", RunnerCLIProject.yaml(warehouse: "fresh.db"))
        let config = project.config
        let (a, b) = try Self.runTogether(project,
            ["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-06", "--json", "--quiet", "--config", config],
            ["backfill", "--table", "daily", "--from", "2024-01-04", "--to", "2024-01-09", "--json", "--quiet", "--config", config])
        #expect(a.status == 0, "\(a.stdout)\n\(a.stderr)")
        #expect(b.status == 0, "\(b.stdout)\n\(b.stderr)")

        let fresh = try project.run(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-09", "--quiet"],
                                    configFile: "fresh.yml")
        #expect(fresh.status == 0, "\(fresh.stdout)\n\(fresh.stderr)")
        let expected = try Self.fingerprints(project.events.dir.path("fresh.db"))
        #expect(expected.count == 18)
        #expect(try Self.fingerprints(project.events.warehouse) == expected)

        // No duplicate rows.
        #expect(try project.events.count("SELECT count(*) FROM events") == 27)
        #expect(try project.events.count("SELECT count(DISTINCT id) FROM events") == 27)
        #expect(try project.events.count("SELECT count(*) FROM daily") == 9)
        #expect(try project.events.count("SELECT count(*) FROM daily WHERE n <> 3") == 0)
        #expect(try project.events.count("SELECT count(*) FROM _loadkit_ledger") == 18)

        // Both runs recorded as successes; every failed attempt is a transient lock wait, retried to success.
        let log = try project.events.log()
        let runs = try log.runs(limit: 10, failedOnly: false)
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.status == .success && $0.command == "backfill" })
        for run in runs {
            let attempts = try log.attempts(runID: run.runID)
            for failed in attempts where failed.status == .failed {
                let error = failed.error ?? ""
                #expect(error.contains("locked") || error.contains("busy") || error.contains("held by"),
                        "unexplained failed attempt: \(failed)")
                #expect(attempts.contains { $0.table == failed.table && $0.partitionKey == failed.partitionKey
                    && $0.status == .success && $0.attempt > failed.attempt }, "never retried to success: \(failed)")
            }
            #expect(!attempts.contains { $0.status == .upstreamFailed })
        }
    }
}
