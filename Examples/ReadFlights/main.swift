// Reads the bundled January 2013 flights with the LoadKit library: the schema is declared in
// Swift, every daily file is parsed into typed rows, and the totals are printed.
//
//   swift run ReadFlights [DATA_DIR]
import Foundation
import LoadKit

let dataDir = CommandLine.arguments.dropFirst().first
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../flights/data").standardized.path

let schema = try TableSchema([
    Column("year", .integer), Column("month", .integer), Column("day", .integer),
    Column("dep_time", .integer), Column("sched_dep_time", .integer), Column("dep_delay", .real),
    Column("arr_time", .integer), Column("sched_arr_time", .integer), Column("arr_delay", .real),
    Column("carrier", .text), Column("flight", .integer), Column("tailnum", .text),
    Column("origin", .text), Column("dest", .text), Column("air_time", .real),
    Column("distance", .real), Column("hour", .integer), Column("minute", .integer),
    Column("time_hour", .timestamp),
])
let options = SourceOptions(nullTokens: ["NA"], timeZone: TimeZone(identifier: "America/New_York")!)

let files = try FileManager.default.contentsOfDirectory(atPath: dataDir)
    .filter { $0.hasPrefix("flights-") }.sorted()
var rows = 0
var distance = 0.0
var row: [Value] = []
for file in files {
    let source = try SourceFormat.csv.open("\(dataDir)/\(file)", schema: schema, options: options,
                                           displayName: file)
    while try source.next(into: &row) {
        rows += 1
        if case .real(let d) = row[15] { distance += d }
    }
}
print("\(files.count) files, \(rows) typed rows, sum(distance) = \(Int(distance))")
