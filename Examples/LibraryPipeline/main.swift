// The flights pipeline of Examples/flights/loadkit.yml, built with the library instead of a
// config file: for ETL jobs written in Swift that call loadkit rather than shell out to it.
//
//   swift run LibraryPipeline [WAREHOUSE]      (default: a new file in the temporary folder)
import Foundation
import LoadKit
import LoadKitSQLite

let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../flights/data").standardized.path
let warehouse = CommandLine.arguments.dropFirst().first
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("library-pipeline-\(getpid()).db").path
let newYork = TimeZone(identifier: "America/New_York")!
let days = PartitionScheme(granularity: .day, timeZone: newYork)

let airlines = try TargetTable(name: "airlines", schema: TableSchema([Column("carrier", .text), Column("name", .text)]))
let flights = try TargetTable(
    name: "flights",
    schema: TableSchema([
        Column("year", .integer), Column("month", .integer), Column("day", .integer),
        Column("dep_time", .integer), Column("sched_dep_time", .integer), Column("dep_delay", .real),
        Column("arr_time", .integer), Column("sched_arr_time", .integer), Column("arr_delay", .real),
        Column("carrier", .text), Column("flight", .integer), Column("tailnum", .text),
        Column("origin", .text), Column("dest", .text), Column("air_time", .real),
        Column("distance", .real), Column("hour", .integer), Column("minute", .integer),
        Column("time_hour", .timestamp),
    ]),
    partitioning: .init(column: "flight_date", scheme: days, sourceColumn: "time_hour"))

let graph = try TaskGraph([
    .load(airlines, source: SourceTemplate(path: "\(data)/airlines.csv", baseDirectory: data)),
    .load(flights, source: SourceTemplate(path: "\(data)/flights-{date}.csv",
                                          options: SourceOptions(nullTokens: ["NA"], timeZone: newYork),
                                          baseDirectory: data),
          dependsOn: ["airlines"], retry: RetryPolicy(attempts: 5)),
    .transform(name: "daily_delays",
               sql: """
                   SELECT flight_date, carrier, count(*) AS flights, avg(dep_delay) AS avg_dep_delay
                   FROM flights WHERE flight_date = :partition GROUP BY flight_date, carrier
                   """,
               schema: nil, partitioning: .init(column: "flight_date", scheme: days, sourceColumn: nil),
               dependsOn: ["flights"]),
])

let runner = Runner(graph: graph, destinations: { try SQLiteDestination(path: warehouse) },
                    runLog: try SQLiteDestination(path: warehouse), options: .init(concurrency: 2))
let january = try BackfillRange.partitions(days, from: "2013-01-01", to: "2013-01-31", now: Date())
for attempt in 1...2 {
    let summary = try runner.run(RunPlan(graph: graph, tasks: ["daily_delays"], partitions: january),
                                 command: "library-pipeline", arguments: [])
    print("run \(attempt): \(summary.status.rawValue), \(summary.count(.success)) loaded, "
        + "\(summary.count(.skipped)) skipped, \(summary.count(.failed)) failed, \(summary.rows) rows")
}
let destination = try SQLiteDestination(path: warehouse)
let fingerprint = try destination.fingerprint(table: flights, partition: nil)
print("flights: \(fingerprint.rows) rows, fingerprint \(fingerprint.hex); warehouse \(warehouse)")
