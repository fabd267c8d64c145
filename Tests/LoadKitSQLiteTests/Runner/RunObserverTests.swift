import Foundation
import LoadKit
import LoadKitSQLite
import Testing

/// Progress reports: a ``RunObserver`` hears once per finished item, counting up to the total.
@Suite struct RunObserverTests {
    @Test("Every item is reported once: done takes each value 1…total exactly once", arguments: [1, 3])
    func oncePerItem(concurrency: Int) throws {
        let warehouse = try RunnerEventsWarehouse()
        let tasks = [
            RunTask(name: "dims", partitioned: false) { _ in .done(rows: 2) },
            RunTask(name: "facts", dependsOn: ["dims"]) { context in
                if context.partition?.key == "2024-01-04" { throw RunnerPlainError(description: "bad day") }
                if context.partition?.key == "2024-01-02" { return .skipped(reason: "unchanged") }
                return .done(rows: 10)
            },
        ]
        let runner = try warehouse.runner(tasks, concurrency: concurrency)
        let recorder = RunnerProgressRecorder()
        runner.observer = recorder
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["facts"], partitions: try warehouse.days(1, 6)),
                                     command: "test", arguments: [])
        let reports = recorder.reports
        #expect(reports.count == 7)
        #expect(reports.map(\.done).sorted() == Array(1...7))
        #expect(reports.allSatisfy { $0.total == 7 })
        let last = try #require(reports.max { $0.done < $1.done })
        #expect(last.rows == 2 + 4 * 10)
        #expect(last.failed == 1)
        #expect(last.skipped == 1)
        #expect(summary.items.count == 7)
        #expect(summary.status == .failed)
    }

    @Test("With upstream failures the count still reaches the total and never repeats a value")
    func upstreamFailedCounted() throws {
        let warehouse = try RunnerEventsWarehouse()
        let tasks = [
            RunTask(name: "a") { context in
                if context.partition?.key == "2024-01-02" { throw RunnerPlainError(description: "bad") }
                return .done(rows: 1)
            },
            RunTask(name: "b", dependsOn: ["a"]) { _ in .done(rows: 1) },
            RunTask(name: "c", dependsOn: ["b"]) { _ in .done(rows: 1) },
        ]
        let runner = try warehouse.runner(tasks, concurrency: 2)
        let recorder = RunnerProgressRecorder()
        runner.observer = recorder
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["c"], partitions: try warehouse.days(1, 3)),
                                     command: "test", arguments: [])
        #expect(summary.items.count == 9)
        #expect(summary.count(.upstreamFailed) == 2)
        let done = recorder.reports.map(\.done)
        #expect(done.max() == 9)
        #expect(Set(done).count == done.count)
        #expect(recorder.reports.allSatisfy { $0.total == 9 })
    }
}
