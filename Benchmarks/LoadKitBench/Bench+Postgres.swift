import Foundation

/// W1-pg and W2-pg (BENCH.md): the W1 and W2 loads into a PostgreSQL warehouse, side by side
/// with `psql`'s `\copy … (FORMAT csv, HEADER, NULL 'NA')` into the same typed table,
/// partitioned by day, its partitions created beforehand (not measured). The server is
/// `LOADKIT_BENCH_POSTGRES_URL`, else `LOADKIT_TEST_POSTGRES_URL`; without one both are skipped
/// with a note. Each run starts from an empty schema (`lk_bench`, the reference `lk_bench_ref`),
/// dropped at the end.
extension Bench {
    /// W2-pg-locks: what a reader of another partition sees during swaps. While `backfill
    /// --force` swaps every day of 2013, a child queries 2013-12-31 through the parent back to
    /// back; the longest query is the longest the swaps' exclusive moment held it (target
    /// ≤ 100 ms). One round per `runs`.
    func readerLocks(_ url: String, backfill: [String]) throws {
        var longest: [Double] = [], p99s: [Double] = [], counts: [Int] = []
        for round in 1...runs {
            let stop = work + "/reader-stop-\(round)"
            let reader = Process()
            reader.executableURL = URL(fileURLWithPath: me)
            reader.arguments = ["child-reader", url, "2013-12-31", stop]
            let pipe = Pipe()
            reader.standardOutput = pipe
            try reader.run()
            _ = try runMeasured(backfill.map { $0 == "2013-12-31" ? "2013-12-30" : $0 } + ["--force"])
            FileManager.default.createFile(atPath: stop, contents: nil)
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            reader.waitUntilExit()
            let parts = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard parts.count == 3 else { throw BenchError("reader printed '\(output)'") }
            counts.append(Int(parts[0])); longest.append(parts[1]); p99s.append(parts[2])
        }
        let worst = Stats(longest)
        figures.append(Figure(workload: "W2-pg-locks", value: worst, unit: "ms (longest reader query)",
                              reference: "target ≤ 100 ms"))
        say(String(format: "W2-pg-locks  longest reader query %.1f ms (min %.1f, max %.1f), p99 %.1f ms, %d queries per round, during 364 swaps",
                   worst.median, worst.min, worst.max, Stats(p99s).median, counts.min() ?? 0))
    }

    /// The server, or `nil` (skipped).
    var postgresURL: String? {
        let environment = ProcessInfo.processInfo.environment
        return [environment["LOADKIT_BENCH_POSTGRES_URL"], environment["LOADKIT_TEST_POSTGRES_URL"]]
            .compactMap { $0 }.first { !$0.isEmpty }
    }

    /// Runs SQL with psql (setup, not measured).
    func psql(_ url: String, _ sql: String) throws {
        _ = try runMeasured(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
    }

    /// The reference table in `lk_bench_ref`: the typed columns, range-partitioned by
    /// `time_hour` into one partition per UTC day of 2013 (plus the days either side).
    func prepareReference(_ url: String) throws {
        try psql(url, """
            DROP SCHEMA IF EXISTS lk_bench_ref CASCADE; CREATE SCHEMA lk_bench_ref;
            CREATE TABLE lk_bench_ref.flights (year bigint, month bigint, day bigint, dep_time bigint,
              sched_dep_time bigint, dep_delay double precision, arr_time bigint, sched_arr_time bigint,
              arr_delay double precision, carrier text, flight bigint, tailnum text, origin text, dest text,
              air_time double precision, distance double precision, hour bigint, minute bigint, time_hour timestamptz)
              PARTITION BY RANGE (time_hour);
            DO $$ DECLARE d date := '2012-12-31'; BEGIN
              WHILE d <= '2014-01-01' LOOP
                EXECUTE format('CREATE TABLE lk_bench_ref.p_%s PARTITION OF lk_bench_ref.flights FOR VALUES FROM (%L) TO (%L)',
                               to_char(d, 'YYYYMMDD'), d::timestamptz, (d + 1)::timestamptz);
                d := d + 1;
              END LOOP; END $$;
            """)
    }

    /// loadkit's config for the PostgreSQL warehouse (schema `lk_bench`).
    func writePostgresConfig(_ url: String) throws -> String {
        let path = work + "/loadkit-pg.yml"
        try config.replacingOccurrences(of: "warehouse: warehouse.db", with: "warehouse: \(url)\nschema: lk_bench")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// count(*), partitions, sum(distance) of loadkit's table.
    func checkPostgres(_ url: String) throws -> String {
        try runMeasured(["psql", "-X", "-At", url, "-c", """
            SELECT count(*) || ' ' || (SELECT count(*) FROM pg_inherits WHERE inhparent = 'lk_bench.flights'::regclass)
                   || ' ' || sum(distance)::bigint FROM lk_bench.flights
            """]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A loadkit command into an empty `lk_bench` schema against the reference `psql`
    /// arguments into the emptied reference table, A B A B; returns both series and the
    /// distinct checks of loadkit's table after each run.
    func postgresSeries(_ url: String, loadkit argv: [String], psql reference: [String])
        throws -> (loadkit: [Measurement], reference: [Measurement], checks: String) {
        var checks = Set<String>()
        let result = try series { _ in
            try psql(url, "DROP SCHEMA IF EXISTS lk_bench CASCADE")
            let m = try runMeasured(argv)
            checks.insert("loadkit " + (try checkPostgres(url)))
            return m
        } alternate: { _ in
            try psql(url, "TRUNCATE lk_bench_ref.flights")
            return try runMeasured(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url] + reference)
        }
        return (result.0, result.1, checks.sorted().joined(separator: "; "))
    }

    func w1pg() throws {
        guard let url = postgresURL else {
            notes.append("W1-pg: skipped (set LOADKIT_BENCH_POSTGRES_URL or LOADKIT_TEST_POSTGRES_URL to a server)")
            return
        }
        try prepareReference(url)
        let config = try writePostgresConfig(url)
        let result = try postgresSeries(url, loadkit: [loadkit, "load", "--quiet", "--config", config, "--table", "flights",
                                                        "--input", flights],
                                        psql: ["-c", "\\copy lk_bench_ref.flights FROM '\(flights)' (FORMAT csv, HEADER, NULL 'NA')"])
        row("W1-pg", result.loadkit, result.reference, rows: Bench.rows,
            reference: "psql \\copy (FORMAT csv, HEADER, NULL 'NA') into the typed table, 365+ partitions made beforehand")
        notes.append("W1-pg checks (rows, partitions, sum(distance)): " + result.checks)
        try psql(url, "DROP SCHEMA IF EXISTS lk_bench CASCADE; DROP SCHEMA IF EXISTS lk_bench_ref CASCADE")
    }

    func w2pg() throws {
        guard let url = postgresURL else {
            notes.append("W2-pg: skipped (set LOADKIT_BENCH_POSTGRES_URL or LOADKIT_TEST_POSTGRES_URL to a server)")
            return
        }
        try prepareReference(url)
        let config = try writePostgresConfig(url)
        let days = (try FileManager.default.contentsOfDirectory(atPath: work + "/days")).sorted()
        // One psql session: per day one transaction deleting that New York day and copying its file.
        var script = ""
        for name in days {
            let day = String(name.dropFirst(8).prefix(10))
            script += """
                BEGIN;
                DELETE FROM lk_bench_ref.flights WHERE time_hour >= '\(day) 00:00 America/New_York'
                  AND time_hour < ('\(day)'::date + 1)::timestamp AT TIME ZONE 'America/New_York';
                \\copy lk_bench_ref.flights FROM '\(work)/days/\(name)' (FORMAT csv, HEADER, NULL 'NA')
                COMMIT;

                """
        }
        let scriptPath = work + "/w2pg.sql"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let backfill = [loadkit, "backfill", "--quiet", "--config", config, "--table", "flights",
                        "--from", "2013-01-01", "--to", "2013-12-31"]
        let result = try postgresSeries(url, loadkit: backfill, psql: ["-f", scriptPath])
        row("W2-pg", result.loadkit, result.reference, rows: Bench.rows,
            reference: "one psql session, per day BEGIN; DELETE the day; \\copy its file; COMMIT (365 transactions)")
        let forced = try (0..<runs).map { _ in try runMeasured(backfill + ["--force"]) }
        row("W2-pg-force", forced, result.reference, rows: Bench.rows, reference: "the W2-pg reference (365 swaps of loaded days)")
        notes.append("W2-pg checks (rows, partitions, sum(distance)): " + result.checks)
        try readerLocks(url, backfill: backfill)
        try psql(url, "DROP SCHEMA IF EXISTS lk_bench CASCADE; DROP SCHEMA IF EXISTS lk_bench_ref CASCADE")
    }
}
