import LoadKit
import LoadKitPostgres
import LoadKitTesting
import Testing

/// ``PostgresQueue`` against the test server: claims, leases and the fence, without worker
/// processes (``QueueWorkerTests`` runs those).
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresQueueTests {
    static func queue(_ schema: TemporaryPostgresSchema) throws -> (PostgresDestination, PostgresQueue) {
        let destination = try PostgresDestination(uri: schema.url, schema: schema.name)
        return (destination, try PostgresQueue(destination: destination))
    }

    static func run(_ id: String) -> RunRecord {
        RunRecord(runID: id, command: "backfill", arguments: ["backfill"], startedAt: "2026-12-03T00:00:00Z")
    }

    static let tables = ["airlines", "flights"]
    static let upstream = QueuedTask(taskID: "lk1_a", table: "airlines", partitionKey: nil, dependsOn: [], maxAttempts: 3)
    static let day = QueuedTask(taskID: "lk1_b", table: "flights", partitionKey: "2013-01-01", dependsOn: ["lk1_a"], maxAttempts: 3)

    @Test("A task is claimed only when its upstream task is done, once per live lease, oldest first")
    func readiness() throws {
        let schema = try TemporaryPostgresSchema()
        let (_, queue) = try Self.queue(schema)
        #expect(try queue.enqueue(Self.run("r1"), tasks: [Self.upstream, Self.day]).added == 2)
        #expect(try queue.claim(worker: "w0", session: "s0", lease: .seconds(30), tables: ["flights"]) == nil,
                "a worker whose config has only flights leaves airlines to the others")
        let first = try #require(try queue.claim(worker: "w1", session: "s1", lease: .seconds(30), tables: Self.tables))
        #expect(first.table == "airlines" && first.attempt == 1)
        #expect(try queue.claim(worker: "w2", session: "s2", lease: .seconds(30), tables: Self.tables) == nil,
                "flights waits for airlines, and airlines' lease is live")
        #expect(try queue.finish(first, as: .done, rows: 16, message: nil))
        let second = try #require(try queue.claim(worker: "w2", session: "s2", lease: .seconds(30), tables: Self.tables))
        #expect(second.table == "flights" && second.partitionKey == "2013-01-01")
        #expect(try queue.finish(second, as: .done, rows: 842, message: nil))
        #expect(try !queue.hasActiveTasks())
        #expect(try schema.connection.scalar("SELECT status FROM \(schema.name)._loadkit_runs WHERE run_id = 'r1'") == "success")
    }

    @Test("An expired lease is claimed again with a new token; the old attempt's fence, retry and finish change nothing")
    func fence() throws {
        let schema = try TemporaryPostgresSchema()
        let (destination, queue) = try Self.queue(schema)
        _ = try queue.enqueue(Self.run("r1"), tasks: [Self.upstream])
        // A lease that ended a second ago (as if its worker froze), without waiting for one.
        let stale = try #require(try queue.claim(worker: "w1", session: "s1", lease: .seconds(-1), tables: Self.tables))
        let fresh = try #require(try queue.claim(worker: "w2", session: "s2", lease: .seconds(30), tables: Self.tables))
        #expect(fresh.attempt == 2 && fresh.token != stale.token)

        // The stale attempt's commit: the fence throws inside the transaction, which rolls back.
        #expect(throws: LoadKitError.self) {
            try destination.connection.transaction { try queue.fence(stale)() }
        }
        #expect(try !queue.retry(stale, after: .zero, error: "late"))
        #expect(try !queue.finish(stale, as: .done, rows: 1, message: nil))
        #expect(try queue.renew([stale.token, fresh.token], lease: .seconds(30)) == [fresh.token])

        try destination.connection.transaction { try queue.fence(fresh)() }
        #expect(try queue.finish(fresh, as: .done, rows: 16, message: nil))
        let attempts = try schema.connection.query("SELECT attempt, status, worker FROM \(schema.name)._loadkit_attempts ORDER BY id")
        #expect(attempts.map { [$0[0], $0[1], $0[2]] } == [["1", "interrupted", "w1"], ["2", "success", "w2"]])
    }

    @Test("A terminal failure marks the run's downstream tasks upstream_failed and ends the run failed; a transient one is queued again")
    func failure() throws {
        let schema = try TemporaryPostgresSchema()
        let (_, queue) = try Self.queue(schema)
        _ = try queue.enqueue(Self.run("r1"), tasks: [Self.upstream, Self.day])
        let first = try #require(try queue.claim(worker: "w1", session: "s1", lease: .seconds(30), tables: Self.tables))
        #expect(try queue.retry(first, after: .zero, error: "database is busy"))
        let again = try #require(try queue.claim(worker: "w1", session: "s1", lease: .seconds(30), tables: Self.tables))
        #expect(again.taskID == first.taskID && again.attempt == 2)
        #expect(try queue.finish(again, as: .failed, rows: 0, message: "bad data"))
        let states = try queue.tasks(runID: "r1").map { "\($0.table):\($0.state.rawValue)" }
        #expect(states == ["airlines:failed", "flights:upstream_failed"])
        #expect(try schema.connection.scalar("SELECT status FROM \(schema.name)._loadkit_runs WHERE run_id = 'r1'") == "failed")
        #expect(try queue.enqueue(Self.run("r2"), tasks: [Self.upstream, Self.day]).added == 2,
                "finished tasks do not block a new enqueue")
    }

    @Test("A task shared by an overlapping run: its failure marks that run's downstream tasks upstream_failed and ends it failed")
    func sharedUpstreamFails() throws {
        let schema = try TemporaryPostgresSchema()
        let (_, queue) = try Self.queue(schema)
        _ = try queue.enqueue(Self.run("r1"), tasks: [Self.upstream, Self.day])
        let other = QueuedTask(taskID: "lk1_c", table: "flights", partitionKey: "2013-01-02", dependsOn: ["lk1_a"], maxAttempts: 3)
        let second = try queue.enqueue(Self.run("r2"), tasks: [Self.upstream, other])
        #expect(second.added == 1 && second.alreadyQueued == 1, "r2 shares r1's airlines task")
        let claim = try #require(try queue.claim(worker: "w1", session: "s1", lease: .seconds(30), tables: Self.tables))
        #expect(claim.table == "airlines" && claim.runID == "r1")
        #expect(try queue.finish(claim, as: .failed, rows: 0, message: "bad data"))
        #expect(try queue.tasks(runID: "r2").map(\.state) == [.upstreamFailed])
        #expect(try schema.connection.scalar("SELECT status FROM \(schema.name)._loadkit_runs WHERE run_id = 'r2'") == "failed")
        #expect(try queue.latestTasks(["lk1_a", "lk1_c"], preferring: "r2").map(\.state) == [.failed, .upstreamFailed],
                "r2's view of its plan includes the shared task")
    }

    @Test("--force on tasks already queued without it makes them reload; the result counts them")
    func forceUpgradesQueuedTasks() throws {
        let schema = try TemporaryPostgresSchema()
        let (_, queue) = try Self.queue(schema)
        _ = try queue.enqueue(Self.run("r1"), tasks: [Self.upstream])
        var forced = Self.upstream
        forced.force = true
        let again = try queue.enqueue(Self.run("r2"), tasks: [forced])
        #expect(again.added == 0 && again.forced == 1 && again.runID == "r1")
        #expect(try schema.connection.scalar("SELECT count(*) FROM \(schema.name)._loadkit_runs") == "1", "no empty run r2")
        let claim = try #require(try queue.claim(worker: "w1", session: "s1", lease: .seconds(30), tables: Self.tables))
        #expect(claim.force)
        let running = try queue.enqueue(Self.run("r3"), tasks: [forced])
        #expect(running.added == 0 && running.forced == 0 && running.runningWithoutForce == 0,
                "the running task is forced already")
    }
}
