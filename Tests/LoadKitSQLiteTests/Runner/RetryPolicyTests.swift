import Foundation
import LoadKit
import LoadKitSQLite
import Testing

@Suite struct RetryPolicyTests {
    @Test("The ceiling doubles from the initial delay and is capped at the maximum delay")
    func ceiling() {
        let policy = RetryPolicy(attempts: 10, initialDelay: .seconds(1), maxDelay: .seconds(60))
        #expect((1...8).map { policy.ceiling(afterAttempt: $0) }
            == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        #expect(policy.ceiling(afterAttempt: 10_000) == .seconds(60))
        let odd = RetryPolicy(initialDelay: .milliseconds(300), maxDelay: .seconds(1))
        #expect((1...4).map { odd.ceiling(afterAttempt: $0) }
            == [.milliseconds(300), .milliseconds(600), .seconds(1), .seconds(1)])
    }

    @Test("The delay is the ceiling times the jitter unit, clamped to [0, 1]")
    func delay() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 2, unit: 0.5) == .seconds(1))
        #expect(policy.delay(afterAttempt: 2, unit: 1) == .seconds(2))
        #expect(policy.delay(afterAttempt: 2, unit: 7) == .seconds(2))
        #expect(policy.delay(afterAttempt: 2, unit: -1) == .zero)
    }

    @Test("The defaults are SPEC.md's: 3 attempts, 1 s, 60 s; at least one attempt")
    func defaults() {
        #expect(RetryPolicy() == RetryPolicy(attempts: 3, initialDelay: .seconds(1), maxDelay: .seconds(60)))
        #expect(RetryPolicy(attempts: 0).attempts == 1)
    }

    @Test("Only errors that say they are transient are retried")
    func classification() {
        #expect(RetryPolicy.isTransient(SQLiteError(extendedCode: 5, message: "database is locked")))
        #expect(RetryPolicy.isTransient(SQLiteError(extendedCode: 517, message: "database is locked")))
        #expect(RetryPolicy.isTransient(SQLiteError(extendedCode: 6, message: "database table is locked")))
        #expect(!RetryPolicy.isTransient(SQLiteError(extendedCode: 19, message: "constraint failed")))
        #expect(!RetryPolicy.isTransient(LoadKitError(.invalidValue, "'abc' is not a real number")))
        #expect(RetryPolicy.isTransient(LoadKitError(.locked, "held", isTransient: true)))
        #expect(!RetryPolicy.isTransient(RunnerPlainError(description: "boom")))
    }

    struct TransientCase: Sendable, CustomTestStringConvertible {
        var name: String
        var error: @Sendable () -> any Error
        var message: String
        var testDescription: String { name }
    }

    static let transient: [TransientCase] = [
        TransientCase(name: "SQLITE_BUSY", error: { SQLiteError(extendedCode: 5, message: "database is locked") },
                      message: "SQLite error 5 (database is locked)"),
        TransientCase(name: "transient LoadKitError",
                      error: { LoadKitError(.locked, "partition held by run X", isTransient: true) },
                      message: "partition held by run X"),
    ]

    /// Runs one unpartitioned closure task that throws `failures` errors, then succeeds.
    static func run(failures: Int, error: @escaping @Sendable () -> any Error, attempts: Int = 3,
                    sleeper: RunnerRecordingSleeper) throws -> (RunSummary, [AttemptRecord], Int) {
        let warehouse = try RunnerEventsWarehouse()
        let calls = RunnerCounter()
        let task = RunTask(name: "flaky", partitioned: false,
                           retry: RetryPolicy(attempts: attempts, initialDelay: .seconds(1), maxDelay: .seconds(60))) { context in
            let n = calls.next()
            #expect(context.attempt == n)
            if n <= failures { throw error() }
            return .done(rows: 7)
        }
        let runner = try warehouse.runner([task], sleeper: sleeper)
        let summary = try runner.run(RunPlan(items: [.init(task: "flaky", partition: nil)]), command: "test", arguments: [])
        return (summary, try warehouse.log().attempts(runID: summary.runID), calls.value)
    }

    @Test("Two transient failures then a success: success after 3 recorded attempts and delays of 1 s and 2 s",
          arguments: transient)
    func transientThenSuccess(_ testCase: TransientCase) throws {
        let sleeper = RunnerRecordingSleeper()
        let (summary, attempts, calls) = try Self.run(failures: 2, error: testCase.error, sleeper: sleeper)
        #expect(calls == 3)
        #expect(summary.status == .success)
        let item = try #require(summary.items.first)
        #expect(summary.items.count == 1)
        #expect(item.status == .success)
        #expect(item.attempts == 3)
        #expect(item.rows == 7)
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.status) == [.failed, .failed, .success])
        #expect(attempts.map(\.error) == [testCase.message, testCase.message, nil])
        #expect(attempts.map(\.rows) == [nil, nil, 7])
        #expect(sleeper.durations == [.seconds(1), .seconds(2)])
    }

    @Test("A transient error on every attempt fails after the policy's attempts, sleeping between them only")
    func transientExhausted() throws {
        let sleeper = RunnerRecordingSleeper()
        let (summary, attempts, calls) = try Self.run(
            failures: .max, error: { SQLiteError(extendedCode: 5, message: "database is locked") }, attempts: 4,
            sleeper: sleeper)
        #expect(calls == 4)
        #expect(summary.status == .failed)
        #expect(summary.items.first?.attempts == 4)
        #expect(summary.items.first?.message == "SQLite error 5 (database is locked)")
        #expect(attempts.map(\.status) == [.failed, .failed, .failed, .failed])
        #expect(sleeper.durations == [.seconds(1), .seconds(2), .seconds(4)])
    }

    @Test("A parse error is terminal: attempted once, no sleep")
    func terminalOnce() throws {
        let sleeper = RunnerRecordingSleeper()
        let parse = LoadKitError(.invalidValue, "'abc' is not a real number",
                                 at: .init(file: "data/events-2024-01-03.csv", line: 3, column: "v"))
        let (summary, attempts, calls) = try Self.run(failures: .max, error: { parse }, attempts: 5, sleeper: sleeper)
        #expect(calls == 1)
        #expect(summary.status == .failed)
        #expect(summary.items.first?.attempts == 1)
        #expect(attempts.map(\.status) == [.failed])
        #expect(attempts.first?.error == "data/events-2024-01-03.csv, line 3, column v: 'abc' is not a real number")
        #expect(sleeper.durations.isEmpty)
    }

    @Test("An error of no known type is terminal")
    func unknownErrorTerminal() throws {
        let sleeper = RunnerRecordingSleeper()
        let (summary, attempts, calls) = try Self.run(failures: .max, error: { RunnerPlainError(description: "boom") },
                                                      sleeper: sleeper)
        #expect(calls == 1)
        #expect(summary.status == .failed)
        #expect(attempts.map(\.error) == ["boom"])
        #expect(sleeper.durations.isEmpty)
    }

    @Test("A real load that hits a transient error twice is retried and recorded attempt by attempt")
    func realLoadRetried() throws {
        let warehouse = try RunnerEventsWarehouse()
        try warehouse.writeDay(1)
        let load = warehouse.loadTask()
        let calls = RunnerCounter()
        // Wraps the real load: the first two attempts fail before loading, as a busy database would.
        let flaky = RunTask(name: "events", retry: RetryPolicy(attempts: 3)) { context in
            if calls.next() <= 2 { throw SQLiteError(extendedCode: 5, message: "database is locked") }
            return try load.action(context)
        }
        let sleeper = RunnerRecordingSleeper()
        let runner = try warehouse.runner([flaky], sleeper: sleeper)
        let summary = try runner.run(RunPlan(items: [.init(task: "events", partition: try warehouse.days(1, 1)[0])]),
                                     command: "test", arguments: [])
        #expect(summary.status == .success)
        let attempts = try warehouse.log().attempts(runID: summary.runID)
        #expect(attempts.map(\.status) == [.failed, .failed, .success])
        #expect(attempts.map(\.partitionKey) == ["2024-01-01", "2024-01-01", "2024-01-01"])
        #expect(attempts.last?.rows == 3)
        #expect(sleeper.durations == [.seconds(1), .seconds(2)])
        #expect(try warehouse.count("SELECT count(*) FROM events") == 3)
        #expect(try warehouse.runRow(summary.runID).status == "success")
    }
}
