// Examples/flights/loadkit.yml driven from Swift through `Project`: what
// `loadkit backfill --table daily_delays --from 2013-01-01 --to 2013-01-31` does, as a program.
//
//   swift run ProjectPipeline [WAREHOUSE [FROM TO]]
//
// WAREHOUSE is the SQLite file to load (default: a new file in the temporary folder, so the
// example's own warehouse.db is left alone); FROM and TO the first and last day (default the
// whole of January 2013). Prints the run's outcome and each table's fingerprint; exits 1 when
// a partition failed.
import Foundation
import LoadKitProject

let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../flights/loadkit.yml").standardized.path
let arguments = Array(CommandLine.arguments.dropFirst())
let warehouse = arguments.first
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("project-pipeline-\(getpid()).db").path
let (from, to) = arguments.count >= 3 ? (arguments[1], arguments[2]) : ("2013-01-01", "2013-01-31")

let project = try Project(configPath: config, warehouse: warehouse)
let summary = try project.backfill("daily_delays", from: from, to: to)
print("backfill daily_delays \(from)..\(to): \(summary.status.rawValue), \(summary.count(.success)) loaded, "
    + "\(summary.count(.skipped)) skipped, \(summary.count(.failed)) failed, \(summary.rows) rows")
for item in summary.items where item.status == .failed {
    print("  FAILED \(item.task) \(item.partitionKey ?? "-"): \(item.message ?? "")")
}
for table in project.tables {
    let fingerprint = try project.fingerprint(table)
    print("\(table): \(fingerprint.rows) rows, fingerprint \(fingerprint.fingerprint)")
}
print("warehouse \(project.warehouse)")
exit(summary.status == .success ? 0 : 1)
