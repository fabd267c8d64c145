import Foundation
import LoadKit

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
