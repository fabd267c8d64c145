import Foundation
@testable import LoadKitCLI
import LoadKitProject
@testable import LoadKitCLI
import LoadKitProject
import LoadKit
import Testing

@Suite struct ConfigTests {
    @Test("The example config loads with its tables, schema, partition and source options")
    func example() throws {
        let config = try LoadKitConfig.load(path: Paths.exampleConfig)
        #expect(config.warehouse == Paths.example + "/warehouse.db")
        #expect(config.timeZone.secondsFromGMT() == 0)
        #expect(config.tables.map(\.name) == ["airlines", "flights", "daily_delays"])
        let flights = try #require(config.table("flights"))
        #expect(flights.schema?.columns.count == 19)
        #expect(flights.schema?.columns.last == Column("time_hour", .timestamp))
        #expect(flights.partition?.column == "flight_date")
        #expect(flights.partition?.granularity == .day)
        #expect(flights.partition?.from == "time_hour")
        #expect(flights.partition?.timeZone.identifier == "America/New_York")
        #expect(flights.source?.path == Paths.example + "/data/flights-{date}.csv")
        #expect(flights.source?.format == .csv)
        #expect(flights.source?.options.nullTokens == ["NA"])
        #expect(flights.source?.options.timeZone.identifier == "America/New_York")
        #expect(flights.dependsOn == ["airlines"])
        #expect(flights.retry == LoadKitConfig.RetrySettings(attempts: 3, initialDelay: .seconds(1), maxDelay: .seconds(60)))
        let transform = try #require(config.table("daily_delays"))
        #expect(transform.sql?.hasPrefix("SELECT flight_date, carrier") == true)
        #expect(transform.partition?.from == nil)
    }

    @Test("A column mapping overrides the table's null tokens")
    func columnNullTokens() throws {
        let config = try LoadKitConfig.parse(yaml: """
            warehouse: w.db
            tables:
              countries:
                source: { path: c.csv, null_values: [NA] }
                columns: { code: { type: text, null_values: [] }, population: integer }
            """, file: "/tmp/x/loadkit.yml")
        let schema = try #require(config.table("countries")?.schema)
        #expect(schema.columns == [Column("code", .text, nullTokens: []), Column("population", .integer)])
    }

    static let broken: [(String, String)] = [
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n    partition: { column: k, granularty: day, from: a }\n",
         "loadkit.yml, line 6, column 29: tables.t.partition: unknown key 'granularty'; allowed keys: column, granularity, from, timezone"),
        ("warehouse: w.db\ntimezone: Mars/Olympus\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
         "loadkit.yml, line 2, column 11: timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as UTC or America/New_York"),
        ("warehouse: w.db\ndefaults:\n  lock_timeout: soon\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
         "loadkit.yml, line 3, column 17: defaults.lock_timeout: 'soon' is not a duration; write it like 500ms, 1s, 2m, 1h or 7d"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n    depends_on: [u]\n",
         "loadkit.yml, line 4, column 5: tables.t.depends_on: unknown table 'u'; declared tables: t"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: 'a-{hour}.csv' }\n    columns: { a: date }\n    partition: { column: k, granularity: day, from: a }\n",
         "loadkit.yml, line 4, column 21: tables.t.source.path: placeholder {hour} cannot be filled by day partitions; allowed: {date} {year} {month} {day} {key}"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: txt }\n",
         "loadkit.yml, line 5, column 19: tables.t.columns.a: 'txt' is not allowed; allowed values: integer, real, text, boolean, date, timestamp"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n    write: upsert\n",
         "loadkit.yml, line 6, column 12: tables.t.write: 'upsert' is not allowed; allowed values: replace, append"),
        ("warehouse: w.db\ntables:\n  t:\n    columns: { a: text }\n",
         "loadkit.yml, line 4, column 5: tables.t: a table needs either 'source' (a file to load) or 'sql' (a transform)"),
        ("tables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
         "loadkit.yml: no warehouse: set warehouse: in loadkit.yml or pass --warehouse"),
        ("warehouse: w.db\ntables:\n  e:\n    source: { path: 'e-{key}.csv' }\n    columns: { a: timestamp }\n"
            + "    partition: { column: k, granularity: hour, from: a }\n  d:\n    partition: { column: k, granularity: day }\n"
            + "    sql: SELECT k FROM e WHERE k = :partition\n    depends_on: [e]\n",
         "loadkit.yml, line 8, column 5: tables.d.depends_on: d is partitioned by day and e by hour; "
            + "a transform's upstream must have the same partitions or none"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n    partition: { column: k, granularity: day, from: a }\n",
         "loadkit.yml, line 6, column 53: tables.t.partition.from: column 'a' is text; 'from' needs a date or timestamp column"),
        ("warehouse: w.db\ndefaults:\n  concurrency: 0\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
         "loadkit.yml, line 3, column 16: defaults.concurrency: 0 is out of range; allowed: 1...256"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n  t:\n    sql: SELECT 1\n",
         "loadkit.yml, line 3, column 3: key 't' appears twice in one mapping"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n    columns: [a, b]\n",
         "loadkit.yml, line 5, column 14: tables.t.columns: expected a mapping (key: value lines), found a list"),
        ("warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv\n",
         "loadkit.yml, line 5, column 1: not valid YAML: did not find expected ',' or '}'"),
        ("warehouse: w.db\ntables:\n  _loadkit_ledger:\n    source: { path: a.csv }\n    columns: { a: text }\n",
         "loadkit.yml, line 4, column 5: tables._loadkit_ledger: table names starting with '_loadkit_' are reserved for loadkit's own tables"),
    ]

    @Test("warehouse: is optional when a warehouse is passed in; the one passed in wins")
    func warehouseOverride() throws {
        let yaml = "tables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n"
        #expect(try LoadKitConfig.parse(yaml: yaml, file: "/p/loadkit.yml", warehouse: "other.db").warehouse == "other.db")
        let configured = try LoadKitConfig.parse(yaml: "warehouse: w.db\n" + yaml, file: "/p/loadkit.yml")
        #expect(configured.warehouse == "/p/w.db")
        #expect(try LoadKitConfig.parse(yaml: "warehouse: w.db\n" + yaml, file: "/p/loadkit.yml", warehouse: "x.db")
            .warehouse == "x.db")
    }

    @Test("A transform may read an unpartitioned upstream, and an unpartitioned transform any upstream")
    func transformUpstreams() throws {
        let yaml = """
            warehouse: w.db
            tables:
              codes:
                source: { path: c.csv }
                columns: { code: text }
              hourly:
                source: { path: "h-{key}.csv" }
                columns: { ts: timestamp }
                partition: { column: hour, granularity: hour, from: ts }
              by_hour:
                partition: { column: hour, granularity: hour, timezone: Etc/UTC }
                sql: SELECT hour, count(*) AS n FROM hourly, codes WHERE hour = :partition GROUP BY hour
                depends_on: [hourly, codes]
              totals:
                sql: SELECT count(*) AS n FROM hourly
                depends_on: [hourly]
            """
        #expect(try LoadKitConfig.parse(yaml: yaml, file: "loadkit.yml").tables.count == 4)
    }

    @Test("A broken config is an error naming line, column, key and the allowed values", arguments: broken)
    func brokenConfig(yaml: String, message: String) throws {
        let error = try #require(throws: ConfigError.self) {
            try LoadKitConfig.parse(yaml: yaml, file: "loadkit.yml")
        }
        #expect(error.description == message)
        #expect(ExitStatus.code(for: error) == 64)
    }
}
