import Foundation
import LoadKit
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
                        runLog: try SQLiteDestination(path: warehouse), options: .init(concurrency: 2))
    let clock = ContinuousClock()
    let start = clock.now
    let summary = try runner.run(RunPlan(graph: graph, tasks: ["c"], partitions: partitions), command: "w3", arguments: [])
    let elapsed = clock.now - start
    guard summary.items.count == 1095, summary.status == .success else { throw BenchError("W3 run: \(summary.status)") }
    print(elapsed.seconds * 1e6 / 1095)
}
