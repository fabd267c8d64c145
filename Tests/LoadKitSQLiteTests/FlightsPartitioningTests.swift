import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// The whole nycflights13 flights.csv (336,776 rows), loaded dynamically by the local or the UTC
/// day of `time_hour`, checked against the data's own `year, month, day` (the local date).
@Suite(.enabled(if: Paths.hasSharedFlights, "needs ../shared/data (present in CI, absent from a fresh clone)"))
struct FlightsPartitioningTests {
    /// The nycflights13 `flights` columns, as in Examples/flights/loadkit.yml.
    static let schema = try! TableSchema([
        Column("year", .integer), Column("month", .integer), Column("day", .integer),
        Column("dep_time", .integer), Column("sched_dep_time", .integer), Column("dep_delay", .real),
        Column("arr_time", .integer), Column("sched_arr_time", .integer), Column("arr_delay", .real),
        Column("carrier", .text), Column("flight", .integer), Column("tailnum", .text),
        Column("origin", .text), Column("dest", .text), Column("air_time", .real),
        Column("distance", .real), Column("hour", .integer), Column("minute", .integer),
        Column("time_hour", .timestamp),
    ])

    /// Loads all of flights.csv into a fresh warehouse, partitioned by the day of `time_hour` in `zone`.
    private func load(zone: String) throws -> (dir: TemporaryDirectory, warehouse: String, table: TargetTable, result: LoadResult) {
        let dir = try TemporaryDirectory()
        let warehouse = dir.path("warehouse.db")
        let timeZone = try #require(TimeZone(identifier: zone))
        let table = try TargetTable(name: "flights", schema: Self.schema,
                                    partitioning: .init(column: "flight_date",
                                                        scheme: PartitionScheme(granularity: .day, timeZone: timeZone),
                                                        sourceColumn: "time_hour"))
        let input = LoadRequest.Input.file(path: Paths.sharedFlights, format: .csv,
                                           options: SourceOptions(nullTokens: ["NA"], timeZone: timeZone),
                                           identity: "flights.csv", displayName: "flights.csv")
        let result = try Loader(destination: try SQLiteDestination(path: warehouse))
            .load(LoadRequest(table: table, input: input, scope: .dynamic))
        return (dir, warehouse, table, result)
    }

    /// `key → count` from a two-column query.
    private func counts(_ db: SQLiteConnection, _ sql: String) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for row in try db.query(sql) {
            guard case .text(let key) = row[0], case .integer(let n) = row[1] else {
                Issue.record("unexpected row \(row)")
                continue
            }
            counts[key] = n
        }
        return counts
    }

    @Test("By the New York day: 365 partitions, each with the rows of its local date (year, month, day)")
    func newYorkDays() throws {
        let (dir, warehouse, table, result) = try load(zone: "America/New_York")
        defer { withExtendedLifetime(dir) {} }
        #expect(result.status == .loaded)
        #expect(result.rowsRead == 336_776)
        #expect(result.rowsWritten == 336_776)
        #expect(result.entries.count == 365)
        let db = try SQLiteConnection(path: warehouse)
        let partitions = try counts(db, "SELECT flight_date, count(*) FROM flights GROUP BY flight_date")
        let localDates = try counts(db, """
            SELECT printf('%04d-%02d-%02d', year, month, day), count(*) FROM flights GROUP BY year, month, day
            """)
        #expect(partitions.count == 365)
        #expect(localDates.count == 365)
        #expect(partitions == localDates)
        #expect(partitions["2013-01-01"] == 842)
        #expect(partitions["2013-12-31"] == 776)
        #expect(try db.scalar("SELECT count(*) FROM flights WHERE flight_date <> printf('%04d-%02d-%02d', year, month, day)")
                == .integer(0))
        // The ledger: one entry per partition, with the partition's rows and stored fingerprint.
        let ledger = try SQLiteDestination(path: warehouse).ledger(table: "flights")
        #expect(ledger.count == 365)
        #expect(Dictionary(uniqueKeysWithValues: ledger.map { ($0.partitionKey ?? "NULL", Int64($0.fingerprint.rows)) }) == partitions)
        try expectLedgerMatchesData(warehouse, table)
        #expect(try stagingLeftovers(warehouse) == [])
    }

    @Test("By the UTC day: 366 partitions with other boundaries; 38,444 rows are on another day than their local date")
    func utcDays() throws {
        let (dir, warehouse, table, result) = try load(zone: "UTC")
        defer { withExtendedLifetime(dir) {} }
        #expect(result.status == .loaded)
        #expect(result.rowsWritten == 336_776)
        #expect(result.entries.count == 366)
        let db = try SQLiteConnection(path: warehouse)
        let partitions = try counts(db, "SELECT flight_date, count(*) FROM flights GROUP BY flight_date")
        let utcDates = try counts(db, "SELECT substr(time_hour, 1, 10), count(*) FROM flights GROUP BY 1")
        #expect(partitions.count == 366)
        #expect(partitions == utcDates)
        #expect(partitions["2013-01-01"] == 709)
        #expect(partitions["2014-01-01"] == 88)
        #expect(try db.scalar("SELECT count(*) FROM flights WHERE flight_date <> printf('%04d-%02d-%02d', year, month, day)")
                == .integer(38_444))
        try expectLedgerMatchesData(warehouse, table)
        #expect(try stagingLeftovers(warehouse) == [])
    }
}
