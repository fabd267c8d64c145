import Foundation
import LoadKit
import Testing

/// A flights-like schema: a timestamp, a date, a text and a real column.
private let schema = try! TableSchema([
    Column("time_hour", .timestamp), Column("day", .date), Column("carrier", .text), Column("dep_delay", .real),
])

/// A partitioning on `column` from `source`, by `granularity` in New York.
private func partitioning(_ column: String = "flight_date", from source: String? = "time_hour",
                          _ granularity: Granularity = .day) -> TargetTable.Partitioning {
    TargetTable.Partitioning(column: column, scheme: PartitionScheme(granularity: granularity, timeZone: newYork),
                             sourceColumn: source)
}

/// The `(name, sqlType)` pairs of `table`'s stored columns.
private func stored(_ table: TargetTable) -> [String] {
    table.storedColumns.map { "\($0.name) \($0.sqlType)" }
}

@Suite struct TargetTableTests {
    // MARK: - Validation

    @Test("Table names are validated", arguments: [
        ("_loadkit_flights", "table name '_loadkit_flights' starts with '_loadkit_', which loadkit reserves"),
        ("_loadkit_ledger", "table name '_loadkit_ledger' starts with '_loadkit_', which loadkit reserves"),
        ("sqlite_master", "table name 'sqlite_master' starts with 'sqlite_', which SQLite reserves"),
        ("SQLite_x", "table name 'SQLite_x' starts with 'sqlite_', which SQLite reserves"),
        ("", "table name is empty"),
        ("a\tb", "table name 'a\tb' contains a control character"),
        (String(repeating: "t", count: 64),
         "table name '\(String(repeating: "t", count: 64))' is 64 bytes long; the limit is 63"),
    ])
    func badTableNames(name: String, message: String) {
        let error = loadKitError { _ = try TargetTable(name: name, schema: schema) }
        #expect(error?.code == .schema)
        #expect(error?.description == message)
    }

    @Test("Unusual but valid table names are accepted", arguments: [
        "flights", "Flights 2013", "select", "a\"b", "_loadkit", "loadkit_x", String(repeating: "t", count: 63),
    ])
    func goodTableNames(name: String) throws {
        #expect(try TargetTable(name: name, schema: schema).name == name)
    }

    @Test("A declared column named _loadkit_load_id is refused, in every write mode", arguments: WriteMode.allCases)
    func reservedColumn(mode: WriteMode) throws {
        let bad = try TableSchema([Column("a", .integer), Column("_loadkit_load_id", .text)])
        let error = loadKitError { _ = try TargetTable(name: "t", schema: bad, writeMode: mode) }
        #expect(error?.code == .schema)
        #expect(error?.description == "column name '_loadkit_load_id' is reserved for append tables")
        #expect(TargetTable.loadIDColumn == "_loadkit_load_id")
    }

    @Test("A partition column named _loadkit_load_id is refused")
    func reservedPartitionColumn() {
        let error = loadKitError {
            _ = try TargetTable(name: "t", schema: schema, partitioning: partitioning("_loadkit_load_id"),
                                writeMode: .append)
        }
        #expect(error?.code == .schema)
    }

    @Test("A partition column that is also declared is refused")
    func partitionColumnClash() {
        let error = loadKitError {
            _ = try TargetTable(name: "flights", schema: schema, partitioning: partitioning("carrier"))
        }
        #expect(error?.code == .schema)
        #expect(error?.description
            == "partition column 'carrier' is also a declared column; give it another name")
    }

    @Test("The partition column name is validated")
    func partitionColumnName() {
        #expect(loadKitError {
            _ = try TargetTable(name: "flights", schema: schema, partitioning: partitioning("sqlite_key"))
        }?.description == "partition column name 'sqlite_key' starts with 'sqlite_', which SQLite reserves")
        #expect(loadKitError {
            _ = try TargetTable(name: "flights", schema: schema, partitioning: partitioning(""))
        }?.description == "partition column name is empty")
    }

    @Test("The partition source must be a declared date or timestamp column", arguments: [
        "carrier", "dep_delay", "missing", "Time_hour",
    ])
    func partitionSourceType(source: String) {
        let error = loadKitError {
            _ = try TargetTable(name: "flights", schema: schema, partitioning: partitioning(from: source))
        }
        #expect(error?.code == .schema)
        #expect(error?.description
            == "partition source column '\(source)' must be a declared date or timestamp column")
    }

    @Test("Hour partitions cannot come from a date column")
    func hourFromDate() throws {
        let error = loadKitError {
            _ = try TargetTable(name: "flights", schema: schema, partitioning: partitioning(from: "day", .hour))
        }
        #expect(error?.code == .schema)
        #expect(error?.description == "hour partitions need a timestamp column; 'day' is a date")
        // Every other granularity may come from a date, and every granularity from a timestamp.
        for granularity in [Granularity.day, .month, .year] {
            #expect(throws: Never.self) {
                _ = try TargetTable(name: "flights", schema: schema, partitioning: partitioning(from: "day", granularity))
            }
        }
        for granularity in Granularity.allCases {
            #expect(throws: Never.self) {
                _ = try TargetTable(name: "flights", schema: schema,
                                    partitioning: partitioning(from: "time_hour", granularity))
            }
        }
    }

    @Test("Defaults: replace, outside rows are an error, an empty source is refused")
    func defaults() throws {
        let table = try TargetTable(name: "flights", schema: schema)
        #expect(table.writeMode == .replace)
        #expect(table.outsideRows == .error)
        #expect(table.allowEmpty == false)
        #expect(table.partitioning == nil)
        #expect(table.keyIsDeclared == false)
    }

    // MARK: - Stored columns

    @Test("An unpartitioned replace table stores exactly its declared columns")
    func storedUnpartitionedReplace() throws {
        let table = try TargetTable(name: "flights", schema: schema, writeMode: .replace)
        #expect(stored(table) == ["time_hour TIMESTAMP", "day DATE", "carrier TEXT", "dep_delay REAL"])
    }

    @Test("An unpartitioned append table adds _loadkit_load_id last")
    func storedUnpartitionedAppend() throws {
        let table = try TargetTable(name: "flights", schema: schema, writeMode: .append)
        #expect(stored(table) == ["time_hour TIMESTAMP", "day DATE", "carrier TEXT", "dep_delay REAL",
                                  "_loadkit_load_id TEXT"])
    }

    @Test("A partitioned replace table adds the partition key column as TEXT")
    func storedPartitionedReplace() throws {
        let table = try TargetTable(name: "flights", schema: schema, partitioning: partitioning(), writeMode: .replace)
        #expect(stored(table) == ["time_hour TIMESTAMP", "day DATE", "carrier TEXT", "dep_delay REAL",
                                  "flight_date TEXT"])
        #expect(table.keyIsDeclared == false)
    }

    @Test("A partitioned append table adds the key column, then _loadkit_load_id")
    func storedPartitionedAppend() throws {
        let table = try TargetTable(name: "flights", schema: schema, partitioning: partitioning(), writeMode: .append)
        #expect(stored(table) == ["time_hour TIMESTAMP", "day DATE", "carrier TEXT", "dep_delay REAL",
                                  "flight_date TEXT", "_loadkit_load_id TEXT"])
    }

    @Test("A SQL transform whose query returns the key column stores it once, as declared")
    func storedDeclaredKey() throws {
        let transform = try TableSchema([Column("flight_date", .text), Column("carrier", .text),
                                         Column("flights", .integer), Column("avg_dep_delay", .real)])
        let table = try TargetTable(name: "daily_delays", schema: transform,
                                    partitioning: partitioning("flight_date", from: nil))
        #expect(table.keyIsDeclared)
        #expect(stored(table) == ["flight_date TEXT", "carrier TEXT", "flights INTEGER", "avg_dep_delay REAL"])
        let appended = try TargetTable(name: "daily_delays", schema: transform,
                                       partitioning: partitioning("flight_date", from: nil), writeMode: .append)
        #expect(stored(appended) == ["flight_date TEXT", "carrier TEXT", "flights INTEGER", "avg_dep_delay REAL",
                                     "_loadkit_load_id TEXT"])
    }

    @Test("Stored column names are unique for every write mode and partitioning", arguments: WriteMode.allCases)
    func storedUnique(mode: WriteMode) throws {
        for p in [nil, partitioning(), partitioning("flight_date", from: "day", .month)] {
            let table = try TargetTable(name: "flights", schema: schema, partitioning: p, writeMode: mode)
            let names = table.storedColumns.map(\.name)
            #expect(Set(names).count == names.count)
        }
    }

    @Test("Every column type maps to its SQL type")
    func sqlTypes() throws {
        let all = try TableSchema(ColumnType.allCases.map { Column("c_\($0.rawValue)", $0) })
        let table = try TargetTable(name: "types", schema: all)
        #expect(stored(table) == ["c_integer INTEGER", "c_real REAL", "c_text TEXT", "c_boolean BOOLEAN",
                                  "c_date DATE", "c_timestamp TIMESTAMP"])
    }
}
