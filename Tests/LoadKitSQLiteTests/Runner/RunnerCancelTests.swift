import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// Interrupted runs: `Runner.cancel()`, and runs whose process died.
@Suite struct RunnerCancelTests {
    @Test("cancel() from another thread lets running items finish, starts no more, and records the run interrupted")
    func cancelWhileSlow() throws {
        let warehouse = try RunnerEventsWarehouse()
        let started = RunnerCounter()
        let firstStarted = DispatchSemaphore(value: 0)
        let cancelled = RunnerGate()
        // Slow items: each waits until cancel() has been called, then a little more.
        let slow = RunTask(name: "slow") { _ in
            if started.next() == 1 { firstStarted.signal() }
            cancelled.wait()
            Thread.sleep(forTimeInterval: 0.02)
            return .done(rows: 1)
        }
        let runner = try warehouse.runner([slow], concurrency: 2)
        let canceller = Thread {
            firstStarted.wait()
            Thread.sleep(forTimeInterval: 0.05)
            runner.cancel()
            cancelled.open()
        }
        canceller.start()
        let days = try warehouse.days(1, 10)
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["slow"], partitions: days),
                                     command: "backfill", arguments: [])
        let ran = started.value
        #expect((1...2).contains(ran))
        #expect(summary.status == .interrupted)
        #expect(summary.items.count == ran)
        #expect(summary.items.allSatisfy { $0.status == .success })
        #expect(summary.notStarted == 10 - ran)
        #expect(summary.items.count + summary.notStarted == days.count)
        let row = try warehouse.runRow(summary.runID)
        #expect(row.status == "interrupted")
        #expect(row.finishedAt != nil)
        // Only the items that ran have attempts.
        #expect(try warehouse.log().attempts(runID: summary.runID).count == ran)
    }

    @Test("A run whose items had all finished when cancel() came is a success, not interrupted")
    func cancelAfterEverything() throws {
        let warehouse = try RunnerEventsWarehouse()
        let task = RunTask(name: "quick", partitioned: false) { _ in .done(rows: 0) }
        let runner = try warehouse.runner([task])
        let summary = try runner.run(RunPlan(items: [.init(task: "quick", partition: nil)]), command: "test", arguments: [])
        runner.cancel()
        #expect(summary.status == .success)
        #expect(summary.notStarted == 0)
    }

    @Test("A cancelled run does not retry a transient failure again")
    func cancelStopsRetries() throws {
        let warehouse = try RunnerEventsWarehouse()
        let calls = RunnerCounter()
        let box = RunnerBox<Runner>()
        let task = RunTask(name: "flaky", partitioned: false, retry: RetryPolicy(attempts: 5)) { _ in
            _ = calls.next()
            box.value?.cancel()
            throw SQLiteError(extendedCode: 5, message: "database is locked")
        }
        let sleeper = RunnerRecordingSleeper()
        let runner = try warehouse.runner([task], sleeper: sleeper)
        box.value = runner
        let summary = try runner.run(RunPlan(items: [.init(task: "flaky", partition: nil)]), command: "test", arguments: [])
        #expect(calls.value == 1)
        #expect(sleeper.durations.isEmpty)
        #expect(summary.items.map(\.status) == [.failed])
    }

    @Test("The next run marks as interrupted a running run of this host whose process is gone, and only it")
    func deadProcessMarkedInterrupted() throws {
        let warehouse = try RunnerEventsWarehouse()
        let log = try warehouse.log()
        try log.prepareCatalog()
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let deadPID = Int64(gone.processIdentifier)
        let host = ProcessInfo.processInfo.hostName
        let insert = try warehouse.db().prepare("""
            INSERT INTO _loadkit_runs(run_id, command, args, started_at, status, pid, host)
            VALUES (?, 'backfill', '[]', '2024-01-01T00:00:00Z', 'running', ?, ?)
            """)
        try insert.execute([.text("dead-here"), .integer(deadPID), .text(host)])
        try insert.execute([.text("alive-here"), .integer(Int64(getpid())), .text(host)])
        try insert.execute([.text("dead-elsewhere"), .integer(deadPID), .text(host + "-other-machine")])

        let fixed = Date(timeIntervalSince1970: 1_704_103_200)  // 2024-01-01T10:00:00Z
        let path = warehouse.warehouse
        let runner = Runner(graph: try TaskGraph([RunTask(name: "t", partitioned: false) { _ in .done(rows: 0) }]),
                            destinations: { try SQLiteDestination(path: path) }, runLog: try SQLiteDestination(path: path),
                            options: .init(sleeper: RunnerRecordingSleeper(), now: { fixed }))
        let summary = try runner.run(RunPlan(items: [.init(task: "t", partition: nil)]), command: "test", arguments: [])
        #expect(summary.status == .success)
        #expect(try warehouse.runRow("dead-here").status == "interrupted")
        #expect(try warehouse.runRow("dead-here").finishedAt == "2024-01-01T10:00:00Z")
        #expect(try warehouse.runRow("alive-here").status == "running")
        #expect(try warehouse.runRow("dead-elsewhere").status == "running")
        #expect(try warehouse.runRow(summary.runID).status == "success")
    }

    @Test("A CLI backfill killed mid-run (_exit 137 after its first commit) is marked interrupted by the next one")
    func killedProcessMarkedInterrupted() throws {
        let project = try RunnerCLIProject()
        try project.events.writeDays(1...4)
        let crashed = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-04",
                                       "--quiet", "--concurrency", "1"],
                                      environment: ["LOADKIT_FAILPOINT": "after_commit:crash"])
        #expect(crashed.status == 137)
        let log = try project.events.log()
        let before = try log.runs(limit: 10, failedOnly: false)
        #expect(before.map(\.status) == [.running])
        #expect(try project.events.ledger().map(\.partition) == ["2024-01-01"])

        let next = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-04",
                                    "--json", "--quiet"])
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        let nextID = try runnerRunID(fromJSON: next.stdout)
        let crashedRow = try project.events.runRow(before[0].runID)
        #expect(crashedRow.status == "interrupted")
        #expect(crashedRow.finishedAt != nil)
        #expect(try project.events.runRow(nextID).status == "success")
        let attempts = try log.attempts(runID: nextID)
        #expect(Set(attempts.map { "\($0.partitionKey ?? "-") \($0.status.rawValue)" })
            == ["2024-01-01 skipped", "2024-01-02 success", "2024-01-03 success", "2024-01-04 success"])
        #expect(try project.events.count("SELECT count(*) FROM events") == 12)
    }
}
