import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

@Suite struct CrashRecoveryExpectationTests {
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("loadkit").path
    }

    func config(_ warehouse: TemporaryWarehouse, write: String) throws -> String {
        _ = try Events.write(warehouse, name: "events-2024-01-06.csv", days: [6])
        return try warehouse.directory.write("loadkit.yml", """
            warehouse: warehouse.db
            tables:
              events:
                source:
                  path: events-{date}.csv
                columns: { id: integer, ts: timestamp, v: real }
                partition: { column: event_date, granularity: day, from: ts, timezone: America/New_York }
                write: \(write)
            """)
    }

    @Test("expectRecoversAfterCrash passes for a partition replace and an append", arguments: ["replace", "append"])
    func recovers(write: String) throws {
        let warehouse = try TemporaryWarehouse()
        let config = try config(warehouse, write: write)
        try expectRecoversAfterCrash(loadkit: Self.binary,
                                     arguments: ["load", "--quiet", "--config", config, "--table", "events", "--partition", "2024-01-06"],
                                     table: try Events.table(write == "append" ? .append : .replace), in: warehouse)
    }

    @Test("expectRecoversAfterCrash reports a load that fails, with its error")
    func reportsFailure() throws {
        let warehouse = try TemporaryWarehouse()
        let config = try config(warehouse, write: "replace")
        try withKnownIssue {
            try expectRecoversAfterCrash(loadkit: Self.binary,
                                         arguments: ["load", "--quiet", "--config", config, "--table", "events", "--partition", "2024-01-09"],
                                         table: try Events.table(), in: warehouse)
        } matching: { issue in
            issue.comments.map(\.rawValue).joined().hasPrefix("the load itself failed (exit 1): loadkit: error: ")
        }
    }
}
