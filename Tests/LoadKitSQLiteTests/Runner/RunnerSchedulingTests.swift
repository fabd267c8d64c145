import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// How the runner orders and connects items: oldest partition first, upstream first, failures
/// propagating down.
@Suite struct RunnerSchedulingTests {
    static func traced(_ trace: RunnerTrace, _ name: String, dependsOn: [String] = [], partitioned: Bool = true,
                       fail: Set<String> = []) -> RunTask {
        RunTask(name: name, dependsOn: dependsOn, partitioned: partitioned) { context in
            let key = context.partition?.key ?? "-"
            trace.append("\(name) \(key)")
            if fail.contains(key) { throw RunnerPlainError(description: "\(name) \(key) broke") }
            return .done(rows: 1)
        }
    }

    @Test("With one worker: unpartitioned upstream first, then partitions oldest first, each upstream before downstream")
    func order() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let runner = try warehouse.runner([
            Self.traced(trace, "daily", dependsOn: ["events"]),
            Self.traced(trace, "events", dependsOn: ["dims"]),
            Self.traced(trace, "dims", partitioned: false),
        ], concurrency: 1)
        let days = try warehouse.days(1, 3)
        // Items given newest first: the runner orders them.
        let plan = RunPlan(items: RunPlan(graph: runner.graph, tasks: ["daily"], partitions: days).items.reversed())
        let summary = try runner.run(plan, command: "test", arguments: [])
        #expect(summary.status == .success)
        #expect(trace.all == ["dims -",
                              "events 2024-01-01", "daily 2024-01-01",
                              "events 2024-01-02", "daily 2024-01-02",
                              "events 2024-01-03", "daily 2024-01-03"])
    }

    @Test("With several workers a task never starts before its upstream item of the same partition finished")
    func upstreamFirstConcurrently() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let runner = try warehouse.runner([
            Self.traced(trace, "dims", partitioned: false),
            Self.traced(trace, "events", dependsOn: ["dims"]),
            Self.traced(trace, "daily", dependsOn: ["events"]),
        ], concurrency: 3)
        let days = try warehouse.days(1, 8)
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["daily"], partitions: days),
                                     command: "test", arguments: [])
        #expect(summary.count(.success) == 17)
        let order = trace.all
        #expect(order.first == "dims -")
        for day in days {
            let events = try #require(order.firstIndex(of: "events \(day.key)"))
            let daily = try #require(order.firstIndex(of: "daily \(day.key)"))
            #expect(events < daily)
        }
    }

    @Test("A failed unpartitioned upstream task fails every partition below it, transitively, untried")
    func unpartitionedFailureCascades() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let runner = try warehouse.runner([
            Self.traced(trace, "dims", partitioned: false, fail: ["-"]),
            Self.traced(trace, "events", dependsOn: ["dims"]),
            Self.traced(trace, "daily", dependsOn: ["events"]),
            Self.traced(trace, "other"),
        ])
        let days = try warehouse.days(1, 3)
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["daily", "other"], partitions: days),
                                     command: "test", arguments: [])
        #expect(summary.status == .failed)
        #expect(Set(trace.all) == ["dims -", "other 2024-01-01", "other 2024-01-02", "other 2024-01-03"])
        var expected: [String: AttemptStatus] = ["dims -": .failed]
        for day in days {
            expected["events \(day.key)"] = .upstreamFailed
            expected["daily \(day.key)"] = .upstreamFailed
            expected["other \(day.key)"] = .success
        }
        #expect(runnerStatuses(summary) == expected)
        let upstream = try warehouse.log().attempts(runID: summary.runID).filter { $0.status == .upstreamFailed }
        #expect(upstream.count == 6)
        #expect(upstream.allSatisfy { $0.attempt == 0 && $0.error == "upstream task dims failed" })
    }

    @Test("An item named twice in a plan runs once")
    func duplicateItems() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let runner = try warehouse.runner([Self.traced(trace, "events")])
        let day = try warehouse.days(2, 2)[0]
        let item = RunPlan.Item(task: "events", partition: day)
        let summary = try runner.run(RunPlan(items: [item, item]), command: "test", arguments: [])
        #expect(trace.all == ["events 2024-01-02"])
        #expect(summary.items.count == 1)
        #expect(try warehouse.log().attempts(runID: summary.runID).count == 1)
    }

    @Test("One runner runs two plans one after the other; each summary and record is its own")
    func reuse() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let runner = try warehouse.runner([Self.traced(trace, "events", fail: ["2024-01-02"])])
        let recorder = RunnerProgressRecorder()
        runner.observer = recorder
        let first = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 3)),
                                   command: "test", arguments: [])
        let second = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(4, 5)),
                                    command: "test", arguments: [])
        #expect(first.status == .failed)
        #expect(first.items.count == 3)
        #expect(second.status == .success)
        #expect(second.items.compactMap(\.partitionKey).sorted() == ["2024-01-04", "2024-01-05"])
        #expect(second.rows == 2)
        #expect(recorder.reports.suffix(2).map(\.total) == [2, 2])
        #expect(recorder.reports.suffix(2).map(\.done).sorted() == [1, 2])
        #expect(recorder.reports.suffix(2).allSatisfy { $0.failed == 0 })
        #expect(try warehouse.log().attempts(runID: second.runID).count == 2)
        #expect(try warehouse.runRow(second.runID).status == "success")
    }

    @Test("Times in the run records are UTC ISO 8601 from the injected clock")
    func recordTimes() throws {
        let warehouse = try RunnerEventsWarehouse()
        let path = warehouse.warehouse
        let fixed = Date(timeIntervalSince1970: 1_704_067_200 + 3_723)  // 2024-01-01T01:02:03Z
        let runner = Runner(graph: try TaskGraph([RunTask(name: "t", partitioned: false) { _ in .done(rows: 0) }]),
                            destinations: { try SQLiteDestination(path: path) }, runLog: try SQLiteDestination(path: path),
                            options: .init(sleeper: RunnerRecordingSleeper(), now: { fixed }))
        let summary = try runner.run(RunPlan(items: [.init(task: "t", partition: nil)]), command: "test", arguments: ["a b"])
        let run = try #require(try warehouse.log().run(summary.runID))
        #expect(run.startedAt == "2024-01-01T01:02:03Z")
        #expect(run.finishedAt == "2024-01-01T01:02:03Z")
        #expect(run.arguments == ["a b"])
        let attempt = try #require(try warehouse.log().attempts(runID: summary.runID).first)
        #expect(attempt.startedAt == "2024-01-01T01:02:03Z")
        #expect(attempt.finishedAt == "2024-01-01T01:02:03Z")
        #expect(attempt.partitionKey == nil)
    }

    @Test("failFast stops taking items after the first failure; the rest are not started and the run is failed")
    func failFast() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let path = warehouse.warehouse
        let runner = Runner(graph: try TaskGraph([Self.traced(trace, "events", fail: ["2024-01-02"])]),
                            destinations: { try SQLiteDestination(path: path) }, runLog: try SQLiteDestination(path: path),
                            options: .init(concurrency: 1, failFast: true, sleeper: RunnerRecordingSleeper()))
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 5)),
                                     command: "backfill", arguments: [])
        #expect(trace.all == ["events 2024-01-01", "events 2024-01-02"])
        #expect(summary.status == .failed)
        #expect(summary.items.map(\.status) == [.success, .failed])
        #expect(summary.notStarted == 3)
        #expect(try warehouse.runRow(summary.runID).status == "failed")
    }

    @Test("A worker that cannot open its destination fails its items with that error, and the run goes on to the end")
    func destinationUnavailable() throws {
        let warehouse = try RunnerEventsWarehouse()
        let trace = RunnerTrace()
        let runner = Runner(graph: try TaskGraph([Self.traced(trace, "events")]),
                            destinations: { throw RunnerPlainError(description: "cannot open the warehouse") },
                            runLog: try SQLiteDestination(path: warehouse.warehouse),
                            options: .init(concurrency: 2, sleeper: RunnerRecordingSleeper()))
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 3)),
                                     command: "backfill", arguments: [])
        #expect(trace.all.isEmpty)
        #expect(summary.status == .failed)
        #expect(summary.items.count == 3)
        #expect(summary.items.allSatisfy { $0.status == .failed && $0.message == "cannot open the warehouse" })
        let attempts = try warehouse.log().attempts(runID: summary.runID)
        #expect(attempts.map(\.error) == Array(repeating: "cannot open the warehouse", count: 3))
    }
}
