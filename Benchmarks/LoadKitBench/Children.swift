import Foundation
import LoadKit
import LoadKitPostgres
import LoadKitSQLite

/// The flights schema of BENCH.md, read with `NA` as NULL.
let flightsSchema = try! TableSchema([
    Column("year", .integer), Column("month", .integer), Column("day", .integer),
    Column("dep_time", .integer), Column("sched_dep_time", .integer), Column("dep_delay", .real),
    Column("arr_time", .integer), Column("sched_arr_time", .integer), Column("arr_delay", .real),
    Column("carrier", .text), Column("flight", .integer), Column("tailnum", .text),
    Column("origin", .text), Column("dest", .text), Column("air_time", .real),
    Column("distance", .real), Column("hour", .integer), Column("minute", .integer),
    Column("time_hour", .timestamp),
])

/// The child side: parse `path` into typed rows and print `rows sum(distance)`.
func parseChild(_ path: String) throws {
    let options = SourceOptions(nullTokens: ["NA"], timeZone: TimeZone(identifier: "America/New_York")!)
    let source = try SourceFormat.csv.open(path, schema: flightsSchema, options: options)
    var row: [Value] = []
    var rows = 0
    var distance = 0.0
    while try source.next(into: &row) {
        rows += 1
        if case .real(let d) = row[15] { distance += d }
    }
    print(rows, Int(distance))
}

/// BENCH.md's ten-times file: the rows repeated with `year` and `time_hour` moved by 0...9 years.
func writeTenTimes(from source: String, to target: String) throws {
    let text = try String(contentsOfFile: source, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    let header = lines.removeFirst()
    FileManager.default.createFile(atPath: target, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
    out.write(Data((header + "\n").utf8))
    for shift in 0..<10 {
        let year = String(2013 + shift)
        var chunk = ""
        chunk.reserveCapacity(text.utf8.count + 1024)
        for line in lines {
            // year is the first field, time_hour the last; both start with 2013.
            chunk += year
            chunk += line.dropFirst(4).dropLast(20)
            chunk += year
            chunk += line.suffix(16)
            chunk += "\n"
        }
        out.write(Data(chunk.utf8))
    }
    try out.close()
}

/// BENCH.md's 365 daily files, split by the local date `year,month,day`, header in each:
/// `flights-YYYY-MM-DD.csv` in `directory`.
func splitDays(from source: String, into directory: String) throws {
    let text = try String(contentsOfFile: source, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    let header = String(lines.removeFirst())
    var days: [String: String] = [:]
    for line in lines {
        let parts = line.split(separator: ",", maxSplits: 3)
        let key = String(format: "%@-%02d-%02d", String(parts[0]), Int(parts[1])!, Int(parts[2])!)
        days[key, default: header + "\n"] += line + "\n"
    }
    for (key, contents) in days {
        try contents.write(toFile: "\(directory)/flights-\(key).csv", atomically: false, encoding: .utf8)
    }
}

/// W3: 365 partitions × a 3-task DAG whose tasks do nothing, through the runner with its run
/// and attempt records; prints microseconds per task.
func runnerChild(warehouse: String) throws {
    let scheme = PartitionScheme(granularity: .day, timeZone: TimeZone(identifier: "America/New_York")!)
    let noop: @Sendable (TaskContext) throws -> RunTask.Outcome = { _ in .done(rows: 0) }
    let graph = try TaskGraph([
        RunTask(name: "a", action: noop),
        RunTask(name: "b", dependsOn: ["a"], action: noop),
        RunTask(name: "c", dependsOn: ["a", "b"], action: noop),
    ])
    let partitions = try BackfillRange.partitions(scheme, from: "2013-01-01", to: "2013-12-31", now: Date())
    let runner = Runner(graph: graph, destinations: { try SQLiteDestination(path: warehouse) },
                        runLog: try SQLiteDestination(path: warehouse).forRunRecords(), options: .init(concurrency: 2))
    let clock = ContinuousClock()
    let start = clock.now
    let summary = try runner.run(RunPlan(graph: graph, tasks: ["c"], partitions: partitions), command: "w3", arguments: [])
    let elapsed = clock.now - start
    guard summary.items.count == 1095, summary.status == .success else { throw BenchError("W3 run: \(summary.status)") }
    print(elapsed.seconds * 1e6 / 1095)
}

/// The hash workload's child: parses `flights` once into stored rows (the 19 columns and the
/// partition key `flight_date`, as loadkit stores them), then times, `runs` times each and
/// alternating v1 and v2: the per-row hash of the pre-encoded rows (`hash-…`), encoding plus
/// hash of the rows (`encode-…`, the loader's work per row), and the fingerprint of the table
/// in `warehouse` (`scan-…`, what `loadkit fingerprint` and `verify` do). Prints one JSON
/// object of seconds per pass; `agree` is 1 when every v2 pass and the scan gave one
/// fingerprint.
func hashChild(flights: String, warehouse: String, runs: Int) throws {
    let zone = TimeZone(identifier: "America/New_York")!
    let options = SourceOptions(nullTokens: ["NA"], timeZone: zone)
    let source = try SourceFormat.csv.open(flights, schema: flightsSchema, options: options)
    let assigner = PartitionAssigner(scheme: PartitionScheme(granularity: .day, timeZone: zone))
    let width = flightsSchema.columns.count + 1
    var values: [Value] = []
    var encoded: [UInt8] = []
    var offsets: [Int] = [0]
    var row: [Value] = []
    var encoder = RowEncoder()
    while try source.next(into: &row) {
        guard case .text(let stamp) = row[18], let day = assigner.partition(ofStored: stamp) else {
            throw BenchError("a row without time_hour")
        }
        let stored = row + [.text(day.key)]
        values.append(contentsOf: stored)
        encoder.reset()
        encoder.append(stored)
        encoded.append(contentsOf: encoder.bytes)
        offsets.append(encoded.count)
    }
    let count = offsets.count - 1
    let clock = ContinuousClock()
    func time(_ body: () throws -> Fingerprint) rethrows -> (Double, Fingerprint) {
        let start = clock.now
        let fingerprint = try body()
        return ((clock.now - start).seconds, fingerprint)
    }
    func hashPass(_ version: Fingerprint.Version) -> Fingerprint {
        var fingerprint = Fingerprint(version: version)
        encoded.withUnsafeBytes { bytes in
            for i in 0..<count {
                fingerprint.add(encoding: UnsafeRawBufferPointer(rebasing: bytes[offsets[i]..<offsets[i + 1]]))
            }
        }
        return fingerprint
    }
    func encodePass(_ version: Fingerprint.Version) -> Fingerprint {
        var fingerprint = Fingerprint(version: version)
        var encoder = RowEncoder()
        var stored = [Value](repeating: .null, count: width)
        values.withUnsafeBufferPointer { all in
            for i in 0..<count {
                // As the loader does: the stored row in a reused array, encoded, hashed.
                for j in 0..<width { stored[j] = all[i * width + j] }
                encoder.reset()
                encoder.append(stored)
                fingerprint.add(digestOf: encoder.bytes)
            }
        }
        return fingerprint
    }
    let destination = try SQLiteDestination(readingOnly: warehouse)
    func scanPass(_ version: Fingerprint.Version) throws -> Fingerprint {
        try destination.fingerprint(table: "flights", partitionColumn: "flight_date", partition: nil, version: version)
    }
    var results: [String: [Double]] = [:]
    var v2: Set<Fingerprint> = []
    for round in 0...runs {
        for version in [Fingerprint.Version.v1, .v2] {
            let passes: [(String, () throws -> Fingerprint)] = [
                ("hash", { hashPass(version) }), ("encode", { encodePass(version) }), ("scan", { try scanPass(version) }),
            ]
            for (name, pass) in passes {
                let (seconds, fingerprint) = try time(pass)
                if version == .v2 { v2.insert(fingerprint) }
                if round > 0 { results["\(name)-\(version.rawValue)", default: []].append(seconds) }
            }
        }
    }
    results["agree"] = [v2.count == 1 ? 1 : 0]
    results["rows"] = [Double(count)]
    print(String(decoding: try JSONEncoder().encode(results), as: UTF8.self))
}

/// WQ's child: a fresh schema `lk_bench_q` holding `history` finished tasks, 1,000 no-op tasks
/// enqueued (one per day from 2013-01-01), drained by a ``QueueWorker`` of 4 threads; prints
/// milliseconds per task, enqueue included.
func queueChild(url: String, history: Int) throws {
    let setup = try PGConnection(uri: url)
    try setup.execute("DROP SCHEMA IF EXISTS lk_bench_q CASCADE")
    let first = try PostgresDestination(uri: url, schema: "lk_bench_q")
    let queue = try PostgresQueue(destination: first)
    if history > 0 {
        try setup.execute("""
            INSERT INTO lk_bench_q._loadkit_tasks(run_id, task_id, table_name, partition_key, state, max_attempts, attempt)
            SELECT 'old', 'old-' || n, 'noop', 'k' || n, 'done', 3, 1 FROM generate_series(1, \(history)) n;
            ANALYZE lk_bench_q._loadkit_tasks
            """)
    }
    let scheme = PartitionScheme(granularity: .day, timeZone: TimeZone(identifier: "UTC")!)
    let days = try BackfillRange.partitions(scheme, from: "2013-01-01", to: "2015-09-27", now: Date())
    guard days.count == 1000 else { throw BenchError("\(days.count) days, not 1000") }
    let graph = try TaskGraph([RunTask(name: "noop", retry: RetryPolicy(attempts: 1)) { _ in .done(rows: 0) }])
    let clock = ContinuousClock()
    let start = clock.now
    let run = RunRecord(runID: "bench", command: "backfill", arguments: [], startedAt: "2026-12-03T00:00:00Z")
    let added = try queue.enqueue(run, tasks: days.map {
        QueuedTask(taskID: "t-" + $0.key, table: "noop", partitionKey: $0.key, dependsOn: [], maxAttempts: 1)
    }).added
    guard added == 1000 else { throw BenchError("enqueued \(added)") }
    let worker = QueueWorker(graph: graph,
                             destinations: { _ in try PostgresDestination(uri: url, schema: "lk_bench_q") },
                             queues: { try PostgresQueue(destination: $0 as! PostgresDestination) },
                             partition: { _, key in try key.map { try scheme.partition(forKey: $0) } },
                             name: "bench", options: .init(concurrency: 4, lease: .seconds(30), drain: true))
    let summary = worker.run()
    let elapsed = clock.now - start
    guard summary.done == 1000 else { throw BenchError("WQ: \(summary)") }
    print(elapsed.seconds * 1000 / 1000)
}

/// The reader of W2-pg-locks: queries one partition through the parent (`SELECT count(*) …
/// WHERE flight_date = $1`) back to back until the file `stop` exists, then prints the number
/// of queries and the longest and 99th-percentile query time in milliseconds (a query that
/// waits behind a swap's ACCESS EXCLUSIVE lock on the parent takes that long).
func readerChild(url: String, partition: String, stop: String) throws {
    let db = try PGConnection(uri: url)
    var times: [Double] = []
    let clock = ContinuousClock()
    while !FileManager.default.fileExists(atPath: stop) {
        let start = clock.now
        _ = try db.query("SELECT count(*) FROM lk_bench.flights WHERE flight_date = $1", [partition])
        times.append((clock.now - start).seconds * 1000)
    }
    times.sort()
    let p99 = times.isEmpty ? 0 : times[min(times.count - 1, Int(Double(times.count) * 0.99))]
    print("\(times.count) \(times.last ?? 0) \(p99)")
}
