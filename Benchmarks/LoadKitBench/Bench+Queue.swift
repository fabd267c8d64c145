import Foundation

/// WQ and WQ-flights (issue 14): the PostgreSQL queue's own cost, and a queued 365-day backfill
/// drained by 1, 2 and 4 worker processes. Skipped with a note without a server (as W1-pg).
extension Bench {
    /// WQ: per-task overhead of the queue: 1,000 no-op tasks enqueued, then drained by one
    /// worker of 4 threads (claim, attempt record, lease heartbeat, fenced finish), in ms/task,
    /// beside W3 (the local runner's µs/task); then again with 100,000 finished tasks in the
    /// table (the claim's partial index keeps them out of its way).
    func wq() throws {
        guard let url = postgresURL else {
            notes.append("WQ: skipped (set LOADKIT_BENCH_POSTGRES_URL or LOADKIT_TEST_POSTGRES_URL to a server)")
            return
        }
        for history in [0, 100_000] {
            let result = try (0...runs).map { _ in try runMeasured([me, "child-wq", url, String(history)]) }.dropFirst()
            let perTask = Stats(result.map { Double($0.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan })
            let name = history == 0 ? "WQ" : "WQ-100k"
            figures.append(Figure(workload: name, value: perTask, unit: "ms/task",
                                  reference: "target < 2 ms/task; W3 (the local runner) is in µs/task"))
            say(String(format: "%-8@  %9.2f ms/task (min %.2f, max %.2f) over 1000 no-op tasks, 4 worker threads%@",
                       name as NSString, perTask.median, perTask.min, perTask.max,
                       (history == 0 ? "" : ", 100,000 finished tasks in the table") as NSString))
        }
        try psql(url, "DROP SCHEMA IF EXISTS lk_bench_q CASCADE")
    }

    /// WQ-flights: the 365 daily files backfilled through the queue (`backfill --queue`, then N
    /// `loadkit worker --drain --concurrency 1` processes at once), N = 1, 2, 4, against a local
    /// `loadkit backfill` (2 threads) into the same server, each from an empty schema.
    func wqFlights() throws {
        guard let url = postgresURL else {
            notes.append("WQ-flights: skipped (set LOADKIT_BENCH_POSTGRES_URL or LOADKIT_TEST_POSTGRES_URL to a server)")
            return
        }
        let config = try writePostgresConfig(url)
        let range = ["--table", "flights", "--from", "2013-01-01", "--to", "2013-12-31", "--quiet", "--config", config]
        var checks = Set<String>()
        func local() throws -> Measurement {
            try psql(url, "DROP SCHEMA IF EXISTS lk_bench CASCADE")
            let m = try runMeasured([loadkit, "backfill"] + range)
            checks.insert("local " + (try checkPostgres(url)))
            return m
        }
        func queued(_ workers: Int) throws -> Measurement {
            try psql(url, "DROP SCHEMA IF EXISTS lk_bench CASCADE")
            let clock = ContinuousClock()
            let start = clock.now
            _ = try runMeasured([loadkit, "backfill"] + range + ["--queue"])
            let processes = try (0..<workers).map { _ in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: loadkit)
                process.arguments = ["worker", "--drain", "--concurrency", "1", "--quiet", "--config", config]
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                return process
            }
            for process in processes {
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw BenchError("worker exited \(process.terminationStatus)") }
            }
            let seconds = (clock.now - start).seconds
            checks.insert("\(workers) workers " + (try checkPostgres(url)))
            return Measurement(seconds: seconds, peakKiB: 0, output: "")
        }
        _ = try local()
        var reference: [Measurement] = []
        var byWorkers: [Int: [Measurement]] = [1: [], 2: [], 4: []]
        for _ in 1...runs {
            reference.append(try local())
            for n in [1, 2, 4] { byWorkers[n]!.append(try queued(n)) }
        }
        for n in [1, 2, 4] {
            var m = byWorkers[n]!
            for i in m.indices { m[i].peakKiB = max(1, m[i].peakKiB) }
            row("WQ-fl-\(n)", m, reference.map { var r = $0; r.peakKiB = max(1, r.peakKiB); return r }, rows: Bench.rows,
                reference: "local loadkit backfill (2 threads) into the same server; \(n) worker process(es) of 1 thread")
        }
        notes.append("WQ-flights checks (rows, partitions, sum(distance)): " + checks.sorted().joined(separator: "; ")
            + "; worker peak memory is not measured (Process, not wait4)")
        try psql(url, "DROP SCHEMA IF EXISTS lk_bench CASCADE")
    }
}
