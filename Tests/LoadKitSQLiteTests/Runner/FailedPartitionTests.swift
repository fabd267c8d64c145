import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// A bad value in the middle of a backfill, its downstream transform, and re-running what failed.
@Suite struct FailedPartitionTests {
    /// The error of day 3 as the command, run in the project's folder, names its file.
    static let badErrorFromRoot = "data/events-2024-01-03.csv, line 3, column v: 'abc' is not a real number"

    /// The same error in this process, whose working directory is not the warehouse's folder:
    /// the file is named absolutely.
    static func badError(_ warehouse: RunnerEventsWarehouse) -> String {
        "\(warehouse.root)/data/events-2024-01-03.csv, line 3, column v: 'abc' is not a real number"
    }

    /// Days 1–5 with a bad `v` on line 3 of day 3; a backfill of `daily` (and so `events`).
    static func failedBackfill() throws -> (RunnerEventsWarehouse, RunSummary) {
        let warehouse = try RunnerEventsWarehouse()
        try warehouse.writeDays(1...5)
        try warehouse.writeDay(3, RunnerEventsWarehouse.csv(day: 3, badLine: 3))
        let runner = try warehouse.runner([warehouse.loadTask(retry: RetryPolicy(attempts: 3)), warehouse.dailyTask()])
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["daily"], partitions: try warehouse.days(1, 5)),
                                     command: "backfill", arguments: ["--table", "daily"])
        return (warehouse, summary)
    }

    /// The rerun plan of a run, as `loadkit rerun RUN_ID` makes it: its failed and upstream_failed items.
    static func rerunPlan(_ warehouse: RunnerEventsWarehouse, of runID: String) throws -> RunPlan {
        var seen = Set<String>()
        let items = try warehouse.log().attempts(runID: runID)
            .filter { $0.status == .failed || $0.status == .upstreamFailed }
            .filter { seen.insert("\($0.table) \($0.partitionKey ?? "")").inserted }
            .map { RunPlan.Item(task: $0.table, partition: try RunnerEventsWarehouse.scheme.partition(forKey: $0.partitionKey!)) }
        return RunPlan(items: items)
    }

    static var expectedFailedStatuses: [String: AttemptStatus] {
        var expected: [String: AttemptStatus] = [:]
        for day in 1...5 {
            let key = RunnerEventsWarehouse.key(day)
            expected["events \(key)"] = day == 3 ? .failed : .success
            expected["daily \(key)"] = day == 3 ? .upstreamFailed : .success
        }
        return expected
    }

    @Test("A bad value in day 3 of 5 fails that day and its transform; the others load; the run is failed")
    func middleFailure() throws {
        let (warehouse, summary) = try Self.failedBackfill()
        #expect(summary.status == .failed)
        #expect(runnerStatuses(summary) == Self.expectedFailedStatuses)
        let failed = try #require(summary.items.first { $0.status == .failed })
        #expect(failed.attempts == 1)
        #expect(failed.message == Self.badError(warehouse))
        let blocked = try #require(summary.items.first { $0.status == .upstreamFailed })
        #expect(blocked.attempts == 0)
        #expect(blocked.message == "upstream task events 2024-01-03 failed")

        #expect(try warehouse.runRow(summary.runID).status == "failed")
        let attempts = try warehouse.log().attempts(runID: summary.runID)
        #expect(attempts.count == 10)
        let bad = attempts.filter { $0.status == .failed }
        #expect(bad.count == 1)
        #expect(bad.first?.table == "events")
        #expect(bad.first?.partitionKey == "2024-01-03")
        #expect(bad.first?.attempt == 1)
        #expect(bad.first?.error == Self.badError(warehouse))
        let upstream = attempts.filter { $0.status == .upstreamFailed }
        #expect(upstream.map(\.table) == ["daily"])
        #expect(upstream.map(\.partitionKey) == ["2024-01-03"])
        #expect(upstream.map(\.attempt) == [0])

        // The data: four days of events and of daily counts; nothing of day 3.
        #expect(try warehouse.ledger().map(\.partition) == ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"])
        #expect(try warehouse.ledger("daily").map(\.partition) == ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"])
        #expect(try warehouse.count("SELECT count(*) FROM events") == 12)
        #expect(try warehouse.count("SELECT count(*) FROM events WHERE event_date = '2024-01-03'") == 0)
        #expect(try warehouse.db().query("SELECT event_date, n FROM daily ORDER BY event_date")
            == ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"].map { [.text($0), .integer(3)] })
    }

    @Test("A rerun plan from the failed run runs only the failed partition and its dependent")
    func rerunOnlyFailed() throws {
        let (warehouse, failedRun) = try Self.failedBackfill()
        let before = try warehouse.ledger() + warehouse.ledger("daily")
        let plan = try Self.rerunPlan(warehouse, of: failedRun.runID)
        #expect(Set(plan.items.map(\.description)) == ["events 2024-01-03", "daily 2024-01-03"])

        // Still bad: it fails the same way, and touches nothing else.
        let stillBad = try warehouse.runner([warehouse.loadTask(), warehouse.dailyTask()])
            .run(plan, parentRunID: failedRun.runID, command: "rerun", arguments: [])
        #expect(stillBad.status == .failed)
        #expect(runnerStatuses(stillBad) == ["events 2024-01-03": .failed, "daily 2024-01-03": .upstreamFailed])
        #expect(try warehouse.ledger() + warehouse.ledger("daily") == before)

        // Fixed: exactly those two items run and succeed; the other days stay as they were.
        try warehouse.writeDay(3)
        let fixed = try warehouse.runner([warehouse.loadTask(), warehouse.dailyTask()])
            .run(plan, parentRunID: stillBad.runID, command: "rerun", arguments: [])
        #expect(fixed.status == .success)
        #expect(runnerStatuses(fixed) == ["events 2024-01-03": .success, "daily 2024-01-03": .success])
        #expect(try warehouse.runRow(fixed.runID).parent == stillBad.runID)
        #expect(try warehouse.runRow(fixed.runID).status == "success")
        let after = try warehouse.ledger() + warehouse.ledger("daily")
        #expect(after.filter { $0.partition != "2024-01-03" } == before)
        #expect(after.filter { $0.partition == "2024-01-03" }.map(\.runID) == [fixed.runID, fixed.runID])
        #expect(try warehouse.count("SELECT n FROM daily WHERE event_date = '2024-01-03'") == 3)
        #expect(try warehouse.count("SELECT count(*) FROM events") == 15)
    }

    @Test("Via the CLI: backfill exits 1 naming the error; after the fix `loadkit rerun RUN_ID` re-runs it with the parent recorded")
    func cliRerun() throws {
        let project = try RunnerCLIProject()
        try project.events.writeDays(1...5)
        try project.events.writeDay(3, RunnerEventsWarehouse.csv(day: 3, badLine: 3))
        let backfill = try project.run(["backfill", "--table", "daily", "--from", "2024-01-01", "--to", "2024-01-05",
                                        "--json", "--quiet"])
        #expect(backfill.status == 1, "\(backfill.stderr)")
        let runID = try runnerRunID(fromJSON: backfill.stdout)
        #expect(backfill.stdout.contains(Self.badErrorFromRoot), "\(backfill.stdout)")
        #expect(try project.events.runRow(runID).status == "failed")

        let failedList = try project.run(["runs", "--failed", "--json"])
        #expect(failedList.status == 0)
        #expect(failedList.stdout.contains(runID))
        #expect(failedList.stdout.contains(Self.badErrorFromRoot))

        try project.events.writeDay(3)
        let rerun = try project.run(["rerun", runID, "--json", "--quiet"])
        #expect(rerun.status == 0, "\(rerun.stdout)\n\(rerun.stderr)")
        let rerunID = try runnerRunID(fromJSON: rerun.stdout)
        #expect(rerunID != runID)
        let row = try project.events.runRow(rerunID)
        #expect(row.status == "success")
        #expect(row.parent == runID)
        let attempts = try project.events.log().attempts(runID: rerunID)
        #expect(Set(attempts.map { "\($0.table) \($0.partitionKey ?? "-") \($0.status.rawValue)" })
            == ["events 2024-01-03 success", "daily 2024-01-03 success"])
        #expect(attempts.count == 2)
        #expect(try project.events.count("SELECT count(*) FROM events") == 15)
        #expect(try project.events.count("SELECT sum(n) FROM daily") == 15)
    }
}
