import Foundation
import LoadKitTesting
import Testing

/// Broken configs and bad flags through the real binary: exit 64, one `loadkit: error:` line
/// naming file, line, column and key, and nothing written.
@Suite struct ConfigErrorCommandTests {
    /// A config's text and the message after `<path>, ` (or after `<path>` when it starts with
    /// `:`).
    struct Broken: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var message: String
        var testDescription: String { name }
    }

    static let head = "warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv }\n"

    static let broken: [Broken] = [
        Broken(name: "key typo granularty",
               yaml: head + "    columns: { a: date }\n    partition: { column: k, granularty: day, from: a }\n",
               message: "line 6, column 29: tables.t.partition: unknown key 'granularty'; allowed keys: column, granularity, from, timezone"),
        Broken(name: "top-level key typo",
               yaml: "warehouse: w.db\nwarehous: x\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 2, column 1: unknown key 'warehous'; allowed keys: warehouse, timezone, defaults, tables, notify, temp_dir, schema, queue"),
        Broken(name: "a word for a number",
               yaml: "warehouse: w.db\ndefaults:\n  concurrency: two\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 16: defaults.concurrency: expected a whole number, found 'two'"),
        Broken(name: "number out of range",
               yaml: "warehouse: w.db\ndefaults:\n  concurrency: 0\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 16: defaults.concurrency: 0 is out of range; allowed: 1...256"),
        Broken(name: "not a boolean",
               yaml: head + "    columns: { a: text }\n    allow_empty: yes please\n",
               message: "line 6, column 18: tables.t.allow_empty: expected true or false, found 'yes please'"),
        Broken(name: "unknown column type",
               yaml: head + "    columns: { a: txt }\n",
               message: "line 5, column 19: tables.t.columns.a: 'txt' is not allowed; allowed values: integer, real, text, boolean, date, timestamp"),
        Broken(name: "unknown write mode",
               yaml: head + "    columns: { a: text }\n    write: upsert\n",
               message: "line 6, column 12: tables.t.write: 'upsert' is not allowed; allowed values: replace, append"),
        Broken(name: "unknown format",
               yaml: "warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv, format: parquet }\n    columns: { a: text }\n",
               message: "line 4, column 36: tables.t.source.format: 'parquet' is not allowed; allowed values: csv, jsonl"),
        Broken(name: "unknown time zone",
               yaml: "warehouse: w.db\ntimezone: Mars/Olympus\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 2, column 11: timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as UTC or America/New_York"),
        Broken(name: "unknown partition time zone",
               yaml: head + "    columns: { a: date }\n    partition: { column: k, granularity: day, from: a, timezone: Europe/Atlantis }\n",
               message: "line 6, column 66: tables.t.partition.timezone: unknown time zone 'Europe/Atlantis'; use an IANA name such as UTC or America/New_York"),
        Broken(name: "bad duration",
               yaml: "warehouse: w.db\ndefaults:\n  lock_timeout: soon\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 17: defaults.lock_timeout: 'soon' is not a duration; write it like 500ms, 1s, 2m, 1h or 7d"),
        Broken(name: "a duration that overflows",
               yaml: "warehouse: w.db\ndefaults:\n  lock_timeout: 1e20s\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 17: defaults.lock_timeout: '1e20s' is too long; the longest accepted duration is 366d"),
        Broken(name: "a retry delay that overflows",
               yaml: "warehouse: w.db\ndefaults:\n  retry: { attempts: 3, initial_delay: 1s, max_delay: 99999999999999999999h }\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 55: defaults.retry.max_delay: '99999999999999999999h' is too long; the longest accepted duration is 366d"),
        Broken(name: "a duration without a unit",
               yaml: "warehouse: w.db\ndefaults:\n  lock_timeout: 10\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 17: defaults.lock_timeout: '10' has no unit; write it like 10s, 10ms or 10m (units: ms, s, m, h, d)"),
        Broken(name: "a hexadecimal duration",
               yaml: "warehouse: w.db\ndefaults:\n  lock_timeout: 0x10s\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 17: defaults.lock_timeout: '0x10s' is not a duration; write it like 500ms, 1s, 2m, 1h or 7d"),
        Broken(name: "a negative duration",
               yaml: "warehouse: w.db\ndefaults:\n  lock_timeout: -5s\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 17: defaults.lock_timeout: '-5s' is not a duration; write it like 500ms, 1s, 2m, 1h or 7d"),
        Broken(name: "attempts beyond 64 bits",
               yaml: "warehouse: w.db\ndefaults:\n  retry: { attempts: 99999999999999999999 }\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 22: defaults.retry.attempts: expected a whole number, found '99999999999999999999'"),
        Broken(name: "concurrency beyond 64 bits",
               yaml: "warehouse: w.db\ndefaults:\n  concurrency: 1e20\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 16: defaults.concurrency: expected a whole number, found '1e20'"),
        Broken(name: "max_delay below initial_delay",
               yaml: "warehouse: w.db\ndefaults:\n  retry: { attempts: 3, initial_delay: 10s, max_delay: 1s }\ntables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 3, column 10: defaults.retry: max_delay must not be shorter than initial_delay"),
        Broken(name: "depends_on an unknown table",
               yaml: head + "    columns: { a: text }\n    depends_on: [u]\n",
               message: "line 4, column 5: tables.t.depends_on: unknown table 'u'; declared tables: t"),
        Broken(name: "placeholder a day cannot fill",
               yaml: "warehouse: w.db\ntables:\n  t:\n    source: { path: 'a-{hour}.csv' }\n    columns: { a: date }\n    partition: { column: k, granularity: day, from: a }\n",
               message: "line 4, column 21: tables.t.source.path: placeholder {hour} cannot be filled by day partitions; allowed: {date} {year} {month} {day} {key}"),
        Broken(name: "unknown placeholder",
               yaml: "warehouse: w.db\ntables:\n  t:\n    source: { path: 'a-{dat}.csv' }\n    columns: { a: date }\n    partition: { column: k, granularity: day, from: a }\n",
               message: "line 4, column 21: tables.t.source.path: unknown placeholder {dat}; allowed: {date} {year} {month} {day} {hour} {key}"),
        Broken(name: "placeholder in an unpartitioned table",
               yaml: "warehouse: w.db\ntables:\n  t:\n    source: { path: 'a-{date}.csv' }\n    columns: { a: date }\n",
               message: "line 4, column 21: tables.t.source.path: placeholder {date} needs a partitioned table; this table has no 'partition'"),
        Broken(name: "partition from a text column",
               yaml: head + "    columns: { a: text }\n    partition: { column: k, granularity: day, from: a }\n",
               message: "line 6, column 53: tables.t.partition.from: column 'a' is text; 'from' needs a date or timestamp column"),
        Broken(name: "partition from an undeclared column",
               yaml: head + "    columns: { a: date }\n    partition: { column: k, granularity: day, from: b }\n",
               message: "line 6, column 53: tables.t.partition.from: 'b' is not a declared column; 'from' names the source column (date or timestamp) the partition key is derived from"),
        Broken(name: "unknown granularity",
               yaml: head + "    columns: { a: date }\n    partition: { column: k, granularity: week, from: a }\n",
               message: "line 6, column 42: tables.t.partition.granularity: 'week' is not allowed; allowed values: hour, day, month, year"),
        Broken(name: "neither source nor sql",
               yaml: "warehouse: w.db\ntables:\n  t:\n    columns: { a: text }\n",
               message: "line 4, column 5: tables.t: a table needs either 'source' (a file to load) or 'sql' (a transform)"),
        Broken(name: "missing warehouse",
               yaml: "tables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: ": no warehouse: set warehouse: in loadkit.yml or pass --warehouse"),
        Broken(name: "a day transform over an hour table",
               yaml: "warehouse: w.db\ntables:\n  e:\n    source: { path: 'e-{key}.csv' }\n    columns: { a: timestamp }\n"
                   + "    partition: { column: k, granularity: hour, from: a }\n  d:\n    partition: { column: k, granularity: day }\n"
                   + "    sql: SELECT k FROM e WHERE k = :partition\n    depends_on: [e]\n",
               message: "line 8, column 5: tables.d.depends_on: d is partitioned by day and e by hour; "
                   + "a transform's upstream must have the same partitions or none"),
        Broken(name: "a transform in another time zone than its upstream",
               yaml: "warehouse: w.db\ntables:\n  e:\n    source: { path: 'e-{date}.csv' }\n    columns: { a: timestamp }\n"
                   + "    partition: { column: k, granularity: day, from: a, timezone: America/New_York }\n  d:\n"
                   + "    partition: { column: k, granularity: day }\n"
                   + "    sql: SELECT k FROM e WHERE k = :partition\n    depends_on: [e]\n",
               message: "line 8, column 5: tables.d.depends_on: d is partitioned by day in UTC and e by day in "
                   + "America/New_York; a transform's upstream must have the same partitions or none"),
        Broken(name: "a key twice",
               yaml: head + "    columns: { a: text, a: integer }\n",
               message: "line 5, column 16: key 'a' appears twice in one mapping"),
        Broken(name: "invalid YAML",
               yaml: "warehouse: w.db\ntables:\n  t:\n    source: { path: a.csv\n",
               message: "line 5, column 1: not valid YAML: did not find expected ',' or '}'"),
        Broken(name: "a reserved table name",
               yaml: "warehouse: w.db\ntables:\n  _loadkit_ledger:\n    source: { path: a.csv }\n    columns: { a: text }\n",
               message: "line 4, column 5: tables._loadkit_ledger: table names starting with '_loadkit_' are reserved for loadkit's own tables"),
        Broken(name: "an empty file", yaml: "", message: ": the config file is empty"),
    ]

    @Test("A broken config exits 64 with the exact message and writes nothing", arguments: broken)
    func brokenConfig(_ broken: Broken) throws {
        let dir = try TemporaryDirectory()
        try dir.write("a.csv", "a\n2013-01-01\n")
        let config = try dir.write("loadkit.yml", broken.yaml)
        let result = try loadkit(["run", "--config", config], in: dir.root)
        #expect(result.status == 64)
        let separator = broken.message.hasPrefix(":") ? "" : ", "
        #expect(result.stderr == "loadkit: error: \(config)\(separator)\(broken.message)\n")
        #expect(result.stdout == "")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.root).sorted() == ["a.csv", "loadkit.yml"])
    }

    @Test("Every command reports a broken config the same way, exit 64", arguments: [
        ["load", "--table", "t"], ["backfill", "--table", "t", "--from", "2013-01-01"], ["run"],
        ["status", "--table", "t"], ["runs"], ["runs", "show", "x"], ["rerun", "--failed"],
        ["fingerprint", "--table", "t"], ["gc"], ["check", "--table", "t"],
    ])
    func everyCommand(arguments: [String]) throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("loadkit.yml", Self.broken[0].yaml)
        let result = try loadkit(arguments + ["--config", config], in: dir.root)
        #expect(result.status == 64)
        #expect(result.stderr == "loadkit: error: \(config), \(Self.broken[0].message)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.root) == ["loadkit.yml"])
    }

    @Test("warehouse: may be left out when --warehouse is given, before or after the subcommand")
    func warehouseFlagOnly() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a.csv", "a\nx\ny\n")
        let config = try dir.write("loadkit.yml", "tables:\n  t:\n    source: { path: a.csv }\n    columns: { a: text }\n")
        let after = try loadkit(["load", "--table", "t", "--config", config, "--warehouse", dir.path("w.db")], in: dir.root)
        #expect(after.status == 0, "stderr: \(after.stderr)")
        #expect(after.stdout == "t: loaded 2 rows\n")
        let before = try loadkit(["--warehouse", dir.path("w.db"), "--config", config, "--json", "fingerprint", "--table", "t"],
                                 in: dir.root)
        #expect(before.status == 0, "stderr: \(before.stderr)")
        #expect((try parseObject(before.stdout))["rows"] as? Int == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.root).sorted()
        let neither = try loadkit(["load", "--table", "t", "--config", config], in: dir.root)
        #expect(neither.status == 64)
        #expect(neither.stderr == "loadkit: error: \(config): no warehouse: set warehouse: in loadkit.yml or pass --warehouse\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.root).sorted() == files, "nothing written")
    }

    @Test("A missing config file is a usage error that says how to name one")
    func missingConfig() throws {
        let dir = try TemporaryDirectory()
        let result = try loadkit(["run", "--config", dir.path("nope.yml")], in: dir.root)
        #expect(result.status == 64)
        #expect(result.stderr == "loadkit: error: \(dir.path("nope.yml")): config file not found; pass --config PATH or run where loadkit.yml is\n")
        // Without --config: ./loadkit.yml of the working directory.
        let implicit = try loadkit(["status", "--table", "flights"], in: dir.root)
        #expect(implicit.status == 64)
        #expect(implicit.stderr == "loadkit: error: loadkit.yml: config file not found; pass --config PATH or run where loadkit.yml is\n")
    }

    @Test("A dependency cycle is a config error (exit 64) that names the cycle")
    func cycle() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a.csv", "a\nx\n")
        let config = try dir.write("loadkit.yml", """
            warehouse: w.db
            tables:
              a:
                source: { path: a.csv }
                columns: { a: text }
                depends_on: [b]
              b:
                source: { path: a.csv }
                columns: { a: text }
                depends_on: [a]
            """)
        let result = try loadkit(["run", "--config", config], in: dir.root)
        #expect(result.status == 64, "a cycle in depends_on is a config error; stderr: \(result.stderr)")
        #expect(result.stderr.contains("dependency cycle: a → b → a"))
        #expect(result.stderr.hasPrefix("loadkit: error: \(config)"), "the message names the config file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.root).sorted() == ["a.csv", "loadkit.yml"])
    }

    @Test("Usage errors on the example exit 64 with the reason and write nothing", arguments: [
        (["backfill", "--table", "nope", "--from", "2013-01-01"],
         "{config}: tables: unknown table 'nope'; declared tables: airlines, flights, daily_delays"),
        (["load", "--table", "flight", "--partition", "2013-01-05"],
         "{config}: tables: unknown table 'flight'; declared tables: airlines, flights, daily_delays"),
        (["load", "--table", "flights", "--partition", "2013-1-5"],
         "'2013-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
        (["backfill", "--table", "flights", "--from", "2013-1-5", "--to", "2013-01-31"],
         "'2013-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
        (["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-32"],
         "'2013-01-32' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
        (["run", "--partition", "2013-1-5"],
         "'2013-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
        (["fingerprint", "--table", "flights", "--partition", "2013-01"],
         "'2013-01' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
        (["status", "--table", "flights", "--from", "2013-1-5"],
         "'2013-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
        (["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-01"],
         "--to 2013-01-01 is before --from 2013-01-05"),
        (["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-01", "--dry-run"],
         "--to 2013-01-01 is before --from 2013-01-05"),
        (["status", "--table", "flights", "--from", "2013-01-31", "--to", "2013-01-01"],
         "--to 2013-01-01 is before --from 2013-01-31"),
        (["load", "--table", "flights"],
         "table 'flights' is partitioned: give --partition KEY or --input FILE"),
        (["load", "--table", "airlines", "--partition", "2013-01-01"],
         "table 'airlines' is not partitioned; run without --partition"),
        (["backfill", "--table", "airlines", "--from", "2013-01-01"],
         "table 'airlines' is not partitioned; load it with `loadkit load --table airlines`"),
        (["status", "--table", "airlines"],
         "table 'airlines' is not partitioned; `loadkit fingerprint --table airlines` and `loadkit runs` show its state"),
        (["runs", "show", "20130101T000000Z-00000000"],
         "no run 20130101T000000Z-00000000; `loadkit runs` lists them"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr == "loadkit: error: \(message.replacingOccurrences(of: "{config}", with: workspace.config))\n")
        #expect(try workspace.writtenFiles() == [], "a usage error writes nothing")
    }

    @Test("Flag errors from argument parsing exit 64 with the reason and the usage line", arguments: [
        (["backfill", "--table", "flights", "--from", "2013-01-01", "--concurrency", "0"], "Error: --concurrency must be at least 1"),
        (["load", "--table", "flights", "--partition", "2013-01-01", "--input", "x.csv"], "Error: give --partition or --input, not both"),
        (["rerun"], "Error: give a RUN_ID or --failed (one of them)"),
        (["backfill", "--table", "flights"], "Error: Missing expected argument '--from <key>'"),
        (["status", "--table", "flights", "--form", "2013-01-01"], "Error: Unknown option '--form'"),
        (["load", "--table", "flights", "--partition"], "Error: Missing value for '--partition <key>'"),
    ])
    func flagErrors(arguments: [String], message: String) throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix(message), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("Usage: loadkit"))
        #expect(try workspace.writtenFiles() == [])
    }
}
