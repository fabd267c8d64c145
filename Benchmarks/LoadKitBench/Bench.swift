import Foundation
import LoadKit
import LoadKitSQLite

/// Prepares inputs in a temporary folder and runs each workload against its reference.
final class Bench {
    let flights: String
    let runs: Int
    let quiet: Bool
    let work: String
    let me: String
    let loadkit: String
    var notes: [String] = []
    var figures: [Figure] = []
    static let rows = 336_776
    static let distance = "350217607"

    init(flights: String, runs: Int, quiet: Bool) throws {
        self.flights = flights
        self.runs = runs
        self.quiet = quiet
        work = FileManager.default.temporaryDirectory.appendingPathComponent("loadkit-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work + "/days", withIntermediateDirectories: true)
        me = URL(fileURLWithPath: CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]).standardized.path
        loadkit = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("loadkit").path
        guard FileManager.default.isExecutableFile(atPath: loadkit) else {
            throw BenchError("\(loadkit) not found: build everything with `swift build -c release` first")
        }
        _ = try runMeasured([me, "child-split-days", flights, work + "/days"])
        try config.write(toFile: work + "/loadkit.yml", atomically: true, encoding: .utf8)
        try config.replacingOccurrences(of: "warehouse: warehouse.db", with: "warehouse: warehouse-batch.db")
            .appending("\n    batch: \(Self.batch)\n")
            .write(toFile: work + "/loadkit-batch.yml", atomically: true, encoding: .utf8)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: work) }

    /// Prints a line of the text report (nothing with `--json`).
    func say(_ line: String) {
        if !quiet { print(line) }
    }

    var config: String {
        """
        warehouse: warehouse.db
        tables:
          flights:
            source:
              path: days/flights-{date}.csv
              null_values: [NA]
            columns: { year: integer, month: integer, day: integer, dep_time: integer, sched_dep_time: integer,
                       dep_delay: real, arr_time: integer, sched_arr_time: integer, arr_delay: real, carrier: text,
                       flight: integer, tailnum: text, origin: text, dest: text, air_time: real, distance: real,
                       hour: integer, minute: integer, time_hour: timestamp }
            partition: { column: flight_date, granularity: day, from: time_hour, timezone: America/New_York }
        """
    }

    /// The shell's script: the same table and index, then per input file one transaction that
    /// imports the file into an untyped temp table (`.import --csv`), deletes the day (W2),
    /// inserts with `INSERT … SELECT NULLIF(col,'NA')` and drops the temp table. W1 (one file)
    /// and W2 (365 files, 365 transactions) are built the same way, in one sqlite3 process.
    func referenceScript(files: [(path: String, day: String?)]) -> String {
        var script = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE flights(year INTEGER, month INTEGER, day INTEGER, dep_time INTEGER, sched_dep_time INTEGER,
              dep_delay REAL, arr_time INTEGER, sched_arr_time INTEGER, arr_delay REAL, carrier TEXT, flight INTEGER,
              tailnum TEXT, origin TEXT, dest TEXT, air_time REAL, distance REAL, hour INTEGER, minute INTEGER,
              time_hour TIMESTAMP, flight_date TEXT);
            CREATE INDEX flights_flight_date ON flights(flight_date);

            """
        for (i, file) in files.enumerated() {
            script += """
                BEGIN IMMEDIATE;
                .import --csv --schema temp \(file.path) raw\(i)
                \(file.day.map { "DELETE FROM flights WHERE flight_date = '\($0)';" } ?? "")
                INSERT INTO flights SELECT year, month, day, NULLIF(dep_time,'NA'), NULLIF(sched_dep_time,'NA'),
                  NULLIF(dep_delay,'NA'), NULLIF(arr_time,'NA'), NULLIF(sched_arr_time,'NA'), NULLIF(arr_delay,'NA'),
                  carrier, flight, NULLIF(tailnum,'NA'), origin, dest, NULLIF(air_time,'NA'), distance, hour, minute,
                  time_hour, printf('%04d-%02d-%02d', year, month, day) FROM temp.raw\(i);
                DROP TABLE temp.raw\(i);
                COMMIT;

                """
        }
        return script
    }

    static let referenceDescription = "one sqlite3 process; per input file one transaction: "
        + ".import --csv into a temp table, INSERT … SELECT NULLIF(col,'NA') into the typed table "
        + "indexed on flight_date, DROP the temp table (W1: 1 transaction, W2: 365)"

    /// count(*), count(distinct flight_date), sum(distance) of a warehouse.
    func check(_ warehouse: String) throws -> String {
        let db = try SQLiteConnection(path: warehouse, mode: .readOnly)
        let row = try db.query("SELECT count(*), count(DISTINCT flight_date), CAST(sum(distance) AS INTEGER) FROM flights")[0]
        return row.map(\.description).joined(separator: " ")
    }

    /// Deletes the warehouse `name` (and its journal and lock files), then returns `argv`.
    func fresh(_ name: String, _ argv: [String]) -> [String] {
        _ = reset(name)
        return argv
    }

    func reset(_ name: String) -> String {
        let path = "\(work)/\(name)"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
        try? FileManager.default.removeItem(atPath: path + ".loadkit-staging")
        return path
    }

    /// `loadkit load --input flights.csv` into a fresh warehouse.
    var loadYear: [String] {
        [loadkit, "load", "--quiet", "--config", "\(work)/loadkit.yml", "--table", "flights", "--input", flights]
    }

    // MARK: - Workloads

    func parse() throws {
        let tenTimes = "\(work)/flights-x10.csv"
        _ = try runMeasured([me, "child-make-x10", flights, tenTimes])
        let a = try series { _ in try runMeasured([me, "child-parse", flights]) }
            alternate: { _ in try runMeasured(["sqlite3", ":memory:", ".import --csv \(flights) t", "SELECT count(*) FROM t"]) }
        let x10 = try (0...max(1, runs / 2)).dropFirst().map { _ in try runMeasured([me, "child-parse", tenTimes]) }
        unlink(tenTimes)
        row("parse", a.0, a.1, rows: Bench.rows, reference: "sqlite3 :memory: .import --csv flights.csv")
        notes.append(String(format: "parse: typed CSV parse vs the shell's .import into :memory:; "
            + "ten-times file %.1f MiB peak (x1 %.1f MiB), %.0f rows/s",
            Double(x10.map(\.peakKiB).max()!) / 1024, Double(a.0.map(\.peakKiB).max()!) / 1024,
            Double(Bench.rows * 10) / median(x10.map(\.seconds))))
    }

    func w1() throws {
        let script = "\(work)/w1.sql"
        try referenceScript(files: [(flights, nil)]).write(toFile: script, atomically: true, encoding: .utf8)
        var checks = Set<String>()
        let result = try series { _ in
            let m = try runMeasured(fresh("warehouse.db", loadYear))
            checks.insert("loadkit " + (try check("\(work)/warehouse.db")))
            return m
        } alternate: { _ in
            let m = try runMeasured(["sqlite3", reset("reference.db"), ".read \(script)"])
            checks.insert("sqlite3 " + (try check("\(work)/reference.db")))
            return m
        }
        row("W1", result.0, result.1, rows: Bench.rows, reference: Self.referenceDescription)
        notes.append("W1 checks (rows, partitions, sum(distance)): " + checks.sorted().joined(separator: "; "))
    }

    func w2() throws {
        let days = (try FileManager.default.contentsOfDirectory(atPath: work + "/days")).sorted()
        let script = "\(work)/w2.sql"
        try referenceScript(files: days.map { ("\(work)/days/\($0)", String($0.dropFirst(8).prefix(10))) })
            .write(toFile: script, atomically: true, encoding: .utf8)
        let backfill = [loadkit, "backfill", "--quiet", "--config", "\(work)/loadkit.yml", "--table", "flights",
                        "--from", "2013-01-01", "--to", "2013-12-31"]
        var checks = Set<String>()
        let result = try series { _ in
            let m = try runMeasured(fresh("warehouse.db", backfill))
            checks.insert("loadkit " + (try check("\(work)/warehouse.db")))
            return m
        } alternate: { _ in
            let m = try runMeasured(["sqlite3", reset("reference.db"), ".read \(script)"])
            checks.insert("sqlite3 " + (try check("\(work)/reference.db")))
            return m
        }
        row("W2", result.0, result.1, rows: Bench.rows, reference: Self.referenceDescription)
        // The last loadkit warehouse is complete: a forced reload and a plain rerun of it.
        let before = try tableFingerprint("\(work)/warehouse.db")
        let forced = try (0..<runs).map { _ in try runMeasured(backfill + ["--force"]) }
        let after = try tableFingerprint("\(work)/warehouse.db")
        let rerun = try (0..<runs).map { _ in try runMeasured(backfill) }
        row("W2force", forced, result.1, rows: Bench.rows, reference: "the W2 reference")
        row("W2rerun", rerun, result.1, rows: 0, reference: "the W2 reference")
        notes.append("W2 checks (rows, partitions, sum(distance)): " + checks.sorted().joined(separator: "; "))
        notes.append("W2 --force keeps the fingerprint: \(before == after ? "yes" : "NO") (\(after)); "
            + "W2rerun = every partition skipped (sources unchanged); both ratios against the same W2 reference")
    }

    /// `batch:` of the W2-batch workload: a week of daily partitions per transaction.
    static let batch = 7

    /// W2-batch: W2 with `batch: 7` against the same backfill without it (A B A B), both into
    /// fresh warehouses; the ratio is the effect of `batch:` alone.
    func w2batch() throws {
        let backfill = { (config: String) in
            [self.loadkit, "backfill", "--quiet", "--config", "\(self.work)/\(config)", "--table", "flights",
             "--from", "2013-01-01", "--to", "2013-12-31"]
        }
        var checks = Set<String>()
        let result = try series { _ in
            let m = try runMeasured(fresh("warehouse-batch.db", backfill("loadkit-batch.yml")))
            checks.insert("batch " + (try check("\(work)/warehouse-batch.db")))
            return m
        } alternate: { _ in
            let m = try runMeasured(fresh("warehouse.db", backfill("loadkit.yml")))
            checks.insert("plain " + (try check("\(work)/warehouse.db")))
            return m
        }
        row("W2batch", result.0, result.1, rows: Bench.rows, reference: "W2 without batch: (365 transactions)")
        let same = try tableFingerprint("\(work)/warehouse-batch.db") == (try tableFingerprint("\(work)/warehouse.db"))
        notes.append("W2batch: batch: \(Self.batch) (\((365 + Self.batch - 1) / Self.batch) transactions per worker pool) "
            + "vs W2 without it; checks: " + checks.sorted().joined(separator: "; ")
            + "; same fingerprint: \(same ? "yes" : "NO")")
    }

    /// W3: runner overhead, 365 partitions × a 3-task DAG of no-op closures, through the library.
    func w3() throws {
        let result = try (0...runs).map { _ in try runMeasured([me, "child-w3", reset("w3.db")]) }.dropFirst()
        let perTask = Stats(result.map { Double($0.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan })
        let peak = Double(result.map(\.peakKiB).max()!) / 1024
        figures.append(Figure(workload: "W3", peakMiB: peak, value: perTask, unit: "µs/task"))
        say(String(format: "W3        %9.1f µs/task (min %.1f, max %.1f) over 1095 tasks incl. run and attempt records; peak %.1f MiB",
                   perTask.median, perTask.min, perTask.max, peak))
    }

    /// W4: W1 on the ten-times file: peak RSS against W1's.
    func w4() throws {
        let tenTimes = "\(work)/flights-x10.csv"
        _ = try runMeasured([me, "child-make-x10", flights, tenTimes])
        defer { unlink(tenTimes) }
        let load = { (file: String) in [self.loadkit, "load", "--quiet", "--config", "\(self.work)/loadkit.yml",
                                        "--table", "flights", "--input", file] }
        var x1: [Measurement] = []
        var x10: [Measurement] = []
        for _ in 0..<max(1, runs / 2) {
            x1.append(try runMeasured(fresh("warehouse.db", load(flights))))
            x10.append(try runMeasured(fresh("warehouse.db", load(tenTimes))))
        }
        let rows = try check("\(work)/warehouse.db")
        let p1 = Double(x1.map(\.peakKiB).max()!) / 1024
        let p10 = Double(x10.map(\.peakKiB).max()!) / 1024
        let m10 = median(x10.map(\.seconds))
        figures.append(Figure(workload: "W4", loadkitSeconds: Stats(x10.map(\.seconds)),
                              referenceSeconds: Stats(x1.map(\.seconds)), rowsPerSecond: Double(Bench.rows * 10) / m10,
                              peakMiB: p10, referencePeakMiB: p1, value: Stats([p10 / p1]), unit: "peak ratio to W1",
                              reference: "W1 (flights.csv once)"))
        say(String(format: "W4        %14.3f  (x1 %.3f s)       peak %.1f MiB vs W1 %.1f MiB: ratio %.2f   %9.0f rows/s",
                   m10, median(x1.map(\.seconds)), p10, p1, p10 / p1, Double(Bench.rows * 10) / m10))
        notes.append("W4 check (rows, partitions, sum(distance)): \(rows)")
    }

    /// W5: `loadkit verify` of one day against one `loadkit load` of that day, on the full year.
    func w5() throws {
        _ = try runMeasured(fresh("warehouse.db", loadYear))
        let day = ["--config", "\(work)/loadkit.yml", "--table", "flights", "--partition", "2013-06-15"]
        var outcomes = Set<String>()
        let result = try series { _ in
            let m = try runMeasured([loadkit, "verify", "--json"] + day)
            outcomes.insert(m.output.contains("\"ok\" : true") || m.output.contains("\"ok\":true") ? "ok" : "NOT OK")
            return m
        } alternate: { _ in try runMeasured([loadkit, "load", "--quiet"] + day) }
        row("W5", result.0, result.1, rows: 0, reference: "one `loadkit load` of 2013-06-15")
        notes.append("W5: the reference column is one `loadkit load` of 2013-06-15 (target ≤ 15×); verify said: "
            + outcomes.sorted().joined(separator: ", "))
    }

    /// hash: fingerprint v2 (MurmurHash3_x64_128) against v1 (SHA-256) on flights: the per-row
    /// hash of pre-encoded rows, the encoding plus hash of parsed rows, and a scan of the loaded
    /// table (`loadkit fingerprint`'s work), alternating v1 and v2 in one child process.
    func hash() throws {
        _ = try runMeasured(fresh("warehouse.db", loadYear))
        let child = try runMeasured([me, "child-hash", flights, "\(work)/warehouse.db", String(runs)])
        let results = try JSONDecoder().decode([String: [Double]].self, from: Data(child.output.utf8))
        var same = true
        for (name, label) in [("hash", "hash of encoded rows"), ("encode", "encode + hash of parsed rows"),
                              ("scan", "scan of the loaded table")] {
            guard let v1 = results["\(name)-v1"], let v2 = results["\(name)-v2"] else { continue }
            let ratios = zip(v2, v1).map { $0 / $1 }
            let rate1 = Stats(v1.map { Double(Bench.rows) / $0 })
            let rate2 = Stats(v2.map { Double(Bench.rows) / $0 })
            figures.append(Figure(workload: "hash-\(name)", loadkitSeconds: Stats(v2), referenceSeconds: Stats(v1),
                                  ratio: Stats(ratios), rowsPerSecond: Double(Bench.rows) / Stats(v2).median,
                                  peakMiB: Double(child.peakKiB) / 1024, value: rate1, unit: "v1 rows/s",
                                  reference: "fingerprint v1 (SHA-256), same child, alternating"))
            say(String(format: "%-12@%10.3f  %16.3f  %5.2f/%4.2f/%4.2f    %9.0f  v1 %9.0f rows/s (%@)",
                       "hash-\(name)" as NSString, Stats(v2).median, Stats(v1).median, Stats(ratios).min,
                       Stats(ratios).median, Stats(ratios).max, rate2.median, rate1.median, label as NSString))
        }
        if let agree = results["agree"] { same = agree.allSatisfy { $0 == 1 } }
        notes.append("hash: loadkit column = fingerprint v2 (MurmurHash3_x64_128), reference = v1 (SHA-256) of the "
            + "same 336,776 rows; v2 sums agree between passes: \(same ? "yes" : "NO")")
    }

    func tableFingerprint(_ warehouse: String) throws -> String {
        try SQLiteDestination(readingOnly: warehouse).fingerprint(table: "flights", partitionColumn: "flight_date", partition: nil).hex
    }

    // MARK: - Measuring

    /// Warm-up, then `runs` rounds of A then B.
    func series(_ a: (Int) throws -> Measurement,
                alternate b: (Int) throws -> Measurement) throws -> ([Measurement], [Measurement]) {
        _ = try a(0)
        _ = try b(0)
        var left: [Measurement] = []
        var right: [Measurement] = []
        for round in 1...runs {
            left.append(try a(round))
            right.append(try b(round))
        }
        return (left, right)
    }

    func median(_ xs: [Double]) -> Double { Stats(xs).median }

    func row(_ name: String, _ mine: [Measurement], _ reference: [Measurement], rows: Int, reference what: String) {
        let m = median(mine.map(\.seconds))
        let r = median(reference.map(\.seconds))
        var ratios = Stats(zip(mine, reference).map { $0.seconds / $1.seconds })
        ratios.median = m / r  // the ratio of the medians, as every earlier report
        let peak = Double(mine.map(\.peakKiB).max()!) / 1024
        let referencePeak = Double(reference.map(\.peakKiB).max()!) / 1024
        figures.append(Figure(workload: name, loadkitSeconds: Stats(mine.map(\.seconds)),
                              referenceSeconds: Stats(reference.map(\.seconds)), ratio: ratios,
                              rowsPerSecond: rows == 0 ? nil : Double(rows) / m, peakMiB: peak,
                              referencePeakMiB: referencePeak, reference: what))
        say(String(format: "%-8@  %14.3f  %16.3f  %5.2f/%4.2f/%4.2f    %9.0f  %6.1f/%.1f", name as NSString, m, r,
                   ratios.min, ratios.median, ratios.max, Double(rows) / m, peak, referencePeak))
    }
}
