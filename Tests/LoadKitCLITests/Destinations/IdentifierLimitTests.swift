import Foundation
import LoadKit
import LoadKitTesting
import Testing

/// Names up to PostgreSQL's limit (63 bytes, NAMEDATALEN - 1) load on every destination under
/// exactly their own names; a longer one is a config error naming its key, so no server ever
/// truncates one. loadkit's own names (partitions, build, staging and index names) are built
/// from hashes and stay within the limit whatever the table's name.
@Suite struct IdentifierLimitTests {
    /// 63 bytes each: ASCII, and two-byte characters (31 × `é` + `x`).
    static let table = String(repeating: "t", count: 63)
    static let wide = String(repeating: "é", count: 31) + "x"
    static let column = String(repeating: "c", count: 62) + "1"
    static let partitionColumn = String(repeating: "p", count: 63)

    static let tables = """
          \(table):
            source: { path: "data/events-{date}.csv" }
            columns: { id: integer, ts: timestamp, "\(column)": real }
            partition: { column: \(partitionColumn), granularity: day, from: ts, timezone: UTC }
            write: replace
          \(wide):
            source: { path: "data/events-{date}.csv" }
            columns: { id: integer, ts: timestamp, "\(wide)": real }
            partition: { column: event_date, granularity: day, from: ts, timezone: UTC }
            write: append

        """

    @Test("63-byte table, column and partition column names (ASCII and two-byte) load, swap, route and append under exactly their names",
          arguments: TestDestination.available)
    func longestNamesLoad(_ destination: TestDestination) throws {
        #expect(Self.table.utf8.count == 63 && Self.wide.utf8.count == 63 && Self.column.utf8.count == 63)
        let project = try DestinationProject(destination, tables: Self.tables)
        var csv = "id,ts,\(Self.column)\n"
        for (i, day) in ["2024-01-05", "2024-01-06", "2024-01-05", "2024-01-06"].enumerated() {
            csv += "\(i),\(day)T0\(i):00:00Z,\(i).5\n"
        }
        let both = try project.directory.write("data/both.csv", csv)
        try project.day("2024-01-05", rows: 3)
        try project.directory.write("data/events-2024-01-05.csv",
                                    try String(contentsOfFile: project.directory.path("data/events-2024-01-05.csv"), encoding: .utf8)
                                        .replacingOccurrences(of: "id,ts,v\n", with: "id,ts,\(Self.column)\n"))
        // A dynamic replace of two days (on PostgreSQL routed through per-partition build
        // tables), a static one (a swap), and an append whose table has an index.
        #expect(try project.json(["load", "--table", Self.table, "--input", both])["rowsWritten"] as? Int == 4)
        #expect(try project.json(["load", "--table", Self.table, "--partition", "2024-01-05"])["rowsWritten"] as? Int == 3)
        let wideCSV = try project.directory.write("data/wide.csv", "id,ts,\(Self.wide)\n1,2024-01-05T01:00:00Z,2.5\n")
        #expect(try project.json(["load", "--table", Self.wide, "--input", wideCSV])["rowsWritten"] as? Int == 1)
        #expect(try project.fingerprint(Self.table).hasPrefix("5 "))
        #expect(try project.fingerprint(Self.wide).hasPrefix("1 "))

        let w = project.warehouse
        let columns: String
        switch destination {
        case .sqlite:
            #expect(try w.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('\(Self.table)', '\(Self.wide)')") == "2")
            columns = try w.query("SELECT name FROM pragma_table_info('\(Self.table)')").compactMap { $0[0] }.joined(separator: ",")
        case .postgres:
            #expect(try w.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::text::regnamespace "
                                 + "AND relname IN ('\(Self.table)', '\(Self.wide)')") == "2")
            columns = try w.query("SELECT attname FROM pg_attribute WHERE attrelid = '\"\(Self.table)\"'::regclass AND attnum > 0 "
                                  + "ORDER BY attnum").compactMap { $0[0] }.joined(separator: ",")
            // loadkit's own names beside the targets: partitions `_loadkit_p_` + 16 hex digits
            // and the append index `_loadkit_ix_` + 24 (its partitions' indexes named by
            // PostgreSQL after them), nothing left of build or staging tables.
            let own = try w.query("SELECT relname FROM pg_class WHERE relnamespace = current_schema()::text::regnamespace "
                                  + "AND relname ~ '^_loadkit_(p|ix|new|stg)_' ORDER BY 1").compactMap { $0[0] }
            #expect(own.count == 5 && own.allSatisfy {
                matches($0, "_loadkit_p_[0-9a-f]{16}(__loadkit_load_id_idx)?|_loadkit_ix_[0-9a-f]{24}")
            }, "\(own)")
            #expect(own.contains(Identifier.indexName(table: Self.wide, column: "_loadkit_load_id")), "\(own)")
        }
        #expect(columns == "id,ts,\(Self.column),\(Self.partitionColumn)")
    }

    @Test("A 64-byte table, column or partition column name is a config error (exit 64) naming its key and the limit",
          arguments: TestDestination.available, ["table", "column", "partition"])
    func tooLong(_ destination: TestDestination, what: String) throws {
        let long = String(repeating: "n", count: 64)
        let tables: String
        let key: String
        switch what {
        case "table":
            tables = DestinationProject.eventsTable.replacingOccurrences(of: "  events:", with: "  \(long):")
            key = "tables.\(long)"
        case "column":
            tables = DestinationProject.eventsTable.replacingOccurrences(of: "v: real", with: "\(long): real")
            key = "tables.events.columns.\(long)"
        default:
            tables = DestinationProject.eventsTable.replacingOccurrences(of: "column: event_date", with: "column: \(long)")
            key = "tables.events.partition.column"
        }
        let project = try DestinationProject(destination, tables: tables)
        try project.day("2024-01-05", rows: 1)
        let result = try project.json(["load", "--table", what == "table" ? long : "events", "--partition", "2024-01-05"],
                                      status: 64)
        let error = try #require(result["error"] as? [String: Any])
        #expect(error["code"] as? String == "config", "\(result)")
        #expect(error["key"] as? String == key, "\(result)")
        #expect((error["message"] as? String)?.contains("'\(long)' is 64 bytes long; the limit is 63") == true, "\(result)")
        #expect(error["line"] as? Int != nil)
        #expect(try !project.warehouse.tableExists("_loadkit_runs"), "nothing was written")
    }

    @Test("loadkit's derived names fit in 63 bytes whatever the names they come from")
    func derivedNames() {
        let loadID = LoadID.make(table: Self.table, mode: .replace, scope: .partition("2013-11-03T01:00-05:00"))
        #expect(LoadID.stagingName(for: loadID).utf8.count == 45)
        #expect(Identifier.indexName(table: Self.table, column: Self.column).utf8.count == 36)
    }
}
