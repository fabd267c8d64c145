import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// The runner writes attempt records in groups, yet an attempt that uses the warehouse is on
/// record before it can change anything, and every record is written by the run's end.
@Suite struct AttemptJournalTests {
    /// What another connection sees of the run log, from inside a task.
    final class Sightings: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String: [AttemptRecord]] = [:]
        func add(_ key: String, _ records: [AttemptRecord]) { lock.withLock { seen[key] = records } }
        var all: [String: [AttemptRecord]] { lock.withLock { seen } }
    }

    @Test("A task's first use of its destination finds its attempt already recorded `running` in the warehouse")
    func startIsDurableBeforeTheWarehouseIsUsed() throws {
        let warehouse = try RunnerEventsWarehouse()
        let sightings = Sightings()
        let path = warehouse.warehouse
        let task = RunTask(name: "events") { context in
            _ = context.destination
            // A separate connection, as another process would see it.
            let records = try SQLiteDestination(path: path).attempts(runID: context.runID)
            sightings.add(context.partition!.key, records)
            return .done(rows: 1)
        }
        let runner = try warehouse.runner([task], concurrency: 2)
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 6)),
                                     command: "test", arguments: [])
        #expect(summary.count(.success) == 6)
        let seen = sightings.all
        #expect(seen.count == 6)
        for (key, records) in seen {
            let own = records.filter { $0.partitionKey == key }
            #expect(own.count == 1, "partition \(key): \(records)")
            #expect(own.first?.status == .running, "partition \(key): \(records)")
            #expect(own.first?.finishedAt == nil)
        }
        let final = try warehouse.log().attempts(runID: summary.runID)
        #expect(final.count == 6)
        #expect(Set(final.map(\.status)) == [.success])
        #expect(Set(final.compactMap(\.partitionKey)) == Set(try warehouse.days(1, 6).map(\.key)))
    }

    @Test("1,095 no-op tasks: every attempt is recorded once, ended, in start order, by the time run() returns")
    func noOpTasksAreAllRecorded() throws {
        let warehouse = try RunnerEventsWarehouse()
        let noop: @Sendable (TaskContext) throws -> RunTask.Outcome = { _ in .done(rows: 0) }
        let runner = try warehouse.runner([
            RunTask(name: "a", action: noop),
            RunTask(name: "b", dependsOn: ["a"], action: noop),
            RunTask(name: "c", dependsOn: ["a", "b"], action: noop),
        ], concurrency: 2)
        let days = try BackfillRange.partitions(RunnerEventsWarehouse.scheme, from: "2023-01-01", to: "2023-12-31",
                                                now: Date())
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["c"], partitions: days),
                                     command: "test", arguments: [])
        #expect(summary.status == .success)
        let records = try warehouse.log().attempts(runID: summary.runID)
        #expect(records.count == 1095)
        #expect(records.allSatisfy { $0.status == .success && $0.finishedAt != nil && $0.attempt == 1 })
        #expect(Set(records.map { "\($0.table) \($0.partitionKey!)" }).count == 1095)
        // Upstream before downstream in each partition: the order attempts started.
        for day in days.prefix(20) {
            let order = records.filter { $0.partitionKey == day.key }.map(\.table)
            #expect(order == ["a", "b", "c"], "\(day.key): \(order)")
        }
        #expect(try warehouse.log().run(summary.runID)?.status == .success)
    }

    @Test("A failed attempt is on record, failed with its error, before its retry starts")
    func failureIsRecordedBeforeTheRetry() throws {
        let warehouse = try RunnerEventsWarehouse()
        let sightings = Sightings()
        let path = warehouse.warehouse
        let task = RunTask(name: "events", retry: RetryPolicy(attempts: 2)) { context in
            if context.attempt == 1 { throw LoadKitError(.locked, "flaky on attempt 1", isTransient: true) }
            sightings.add("retry", try SQLiteDestination(path: path).attempts(runID: context.runID))
            return .done(rows: 1)
        }
        let runner = try warehouse.runner([task], concurrency: 1)
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 1)),
                                     command: "test", arguments: [])
        #expect(summary.status == .success)
        let seen = try #require(sightings.all["retry"])
        #expect(seen.map(\.attempt) == [1])
        #expect(seen.first?.status == .failed)
        #expect(seen.first?.error?.contains("flaky on attempt 1") == true)
        #expect(try warehouse.log().attempts(runID: summary.runID).map(\.status) == [.failed, .success])
    }
}
