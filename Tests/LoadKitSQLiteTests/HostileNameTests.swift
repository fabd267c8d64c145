import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Table and column names with spaces, quotes, reserved words and SQL fragments are quoted
/// everywhere (data round-trips, nothing else is touched); names that cannot work are refused.
@Suite struct HostileNameTests {
    static let tableName = "x\"; DROP TABLE y; --"
    static let schema = try! TableSchema([
        Column("select", .integer), Column("order", .timestamp), Column("my col", .real),
        Column("a\"b", .text), Column("it's", .text),
    ])
    static let partitionColumn = "part \"key\""

    static func table(_ mode: WriteMode) throws -> TargetTable {
        try TargetTable(name: tableName, schema: schema,
                        partitioning: .init(column: partitionColumn,
                                            scheme: PartitionScheme(granularity: .day, timeZone: EventsFixture.newYork),
                                            sourceColumn: "order"),
                        writeMode: mode)
    }

    /// The CSV (RFC 4180 quoting) and the rows expected back, in `select` order.
    static let csv = """
        select,order,my col,"a""b",it's
        1,2024-01-05T12:00:00Z,1.5,"'); DROP TABLE y; --","He said ""hi"", twice"
        2,2024-01-05T13:00:00Z,2.5,"x""; DROP TABLE y; --",it's
        3,2024-01-06T12:00:00Z,-3.25,\"\"\"\",;

        """
    static let expected: [[Value]] = [
        [.integer(1), .text("2024-01-05T12:00:00Z"), .real(1.5), .text("'); DROP TABLE y; --"), .text("He said \"hi\", twice"), .text("2024-01-05")],
        [.integer(2), .text("2024-01-05T13:00:00Z"), .real(2.5), .text("x\"; DROP TABLE y; --"), .text("it's"), .text("2024-01-05")],
        [.integer(3), .text("2024-01-06T12:00:00Z"), .real(-3.25), .text("\""), .text(";"), .text("2024-01-06")],
    ]

    @Test("Hostile table, column and partition column names round-trip the data and leave table y alone",
          arguments: [WriteMode.replace, .append])
    func roundTrip(_ mode: WriteMode) throws {
        let f = try EventsFixture()
        let db = try f.db()
        try db.execute("CREATE TABLE y(keep TEXT); INSERT INTO y VALUES ('still here')")
        let table = try Self.table(mode)
        let path = try f.dir.write("hostile.csv", Self.csv)

        let result = try f.load(table, path)
        #expect(result.status == .loaded)
        #expect(result.rowsWritten == 3)
        let columns = (Self.schema.columns.map(\.name) + [Self.partitionColumn]).map(Identifier.quoted).joined(separator: ", ")
        let select = "SELECT \(columns) FROM \(Identifier.quoted(Self.tableName)) ORDER BY \"select\""
        #expect(try db.query(select) == Self.expected)
        #expect(try db.query("SELECT keep FROM y") == [[.text("still here")]])
        let fingerprint = try SQLiteDestination(path: f.warehouse).fingerprint(table: table, partition: nil)
        #expect(fingerprint.rows == 3)
        try expectLedgerMatchesData(f.warehouse, table)

        // Again, dynamically and statically: the same state.
        let again = try f.load(table, path)
        #expect(again.status == (mode == .append ? .alreadyLoaded : .loaded))
        if mode == .replace {
            let day = try f.dir.write("day.csv", Self.csv.split(separator: "\n").prefix(3).joined(separator: "\n") + "\n")
            _ = try f.load(table, day, partition: "2024-01-05")
        }
        #expect(try SQLiteDestination(path: f.warehouse).fingerprint(table: table, partition: nil) == fingerprint)
        #expect(try db.query(select) == Self.expected)
        #expect(try db.query("SELECT keep FROM y") == [[.text("still here")]])
        #expect(try ledgerRows(f.warehouse, table: Self.tableName).count == (mode == .append ? 1 : 2))
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("Names that cannot be used are refused with the reason", arguments: [
        ("sqlite_x", "v", "table name 'sqlite_x' starts with 'sqlite_', which SQLite reserves"),
        ("_loadkit_ledger", "v", "table name '_loadkit_ledger' starts with '_loadkit_', which loadkit reserves"),
        (String(repeating: "é", count: 32), "v",
         "table name '\(String(repeating: "é", count: 32))' is 64 bytes long; the limit is 63"),
        ("a\tb", "v", "table name 'a\tb' contains a control character"),
        ("events", "_loadkit_load_id", "column name '_loadkit_load_id' is reserved for append tables"),
    ])
    func refusedNames(table: String, column: String, message: String) throws {
        let error = try #require(throws: LoadKitError.self) {
            let schema = try TableSchema([Column("id", .integer), Column("ts", .timestamp), Column(column, .real)])
            _ = try TargetTable(name: table, schema: schema)
        }
        #expect(error.code == .schema)
        #expect(error.description == message)
    }

    @Test("A partition key with SQL in it is refused as a key, never run")
    func hostileKey() throws {
        let scheme = PartitionScheme(granularity: .day, timeZone: EventsFixture.newYork)
        let error = try #require(throws: LoadKitError.self) { try scheme.partition(forKey: "2024-01-05' OR '1'='1") }
        #expect(error.code == .partitionKey)
        #expect(error.description == "'2024-01-05' OR '1'='1' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)")
    }

    @Test("A text column cannot be the partition source")
    func textPartitionSource() throws {
        let error = try #require(throws: LoadKitError.self) {
            _ = try TargetTable(name: "t", schema: Self.schema,
                                partitioning: .init(column: "p", scheme: PartitionScheme(granularity: .day, timeZone: EventsFixture.newYork),
                                                    sourceColumn: "a\"b"))
        }
        #expect(error.description == "partition source column 'a\"b' must be a declared date or timestamp column")
    }

    @Test("Through the CLI: a hostile table name in loadkit.yml loads, and a hostile --partition exits 64")
    func cli() throws {
        let project = try CLIProject(yaml: """
            warehouse: warehouse.db
            tables:
              'x"; DROP TABLE y; --':
                source:
                  path: "data/{date}.csv"
                columns: { select: integer, order: timestamp, 'my col': real, 'a"b': text, "it's": text }
                partition: { column: 'part "key"', granularity: day, from: order, timezone: America/New_York }
                write: replace

            """)
        try SQLiteConnection(path: project.warehouse).execute("CREATE TABLE y(keep TEXT); INSERT INTO y VALUES ('still here')")
        try project.write("data/2024-01-05.csv", Self.csv.split(separator: "\n").prefix(3).joined(separator: "\n") + "\n")
        let loaded = try project.load(["--table", Self.tableName, "--partition", "2024-01-05"])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.stdout == "\(Self.tableName) partition 2024-01-05: loaded 2 rows\n")
        let db = try SQLiteConnection(path: project.warehouse)
        let columns = (Self.schema.columns.map(\.name) + [Self.partitionColumn]).map(Identifier.quoted).joined(separator: ", ")
        #expect(try db.query("SELECT \(columns) FROM \(Identifier.quoted(Self.tableName)) ORDER BY \"select\"")
                == Array(Self.expected.prefix(2)))

        let refused = try project.load(["--table", Self.tableName, "--partition", "2024-01-05' OR '1'='1"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("'2024-01-05' OR '1'='1' is not a day partition key"), "\(refused.stderr)")
        #expect(try db.query("SELECT keep FROM y") == [[.text("still here")]])
        #expect(try ledgerRows(project.warehouse, table: Self.tableName).count == 1)
    }
}
