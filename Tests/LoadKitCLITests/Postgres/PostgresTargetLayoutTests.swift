import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// Targets made or altered by hand before or between loads (issue 13): what a partition replace
/// does with each layout on PostgreSQL (README "PostgreSQL warehouse", "Tables made by hand"),
/// and what a killed or interrupted load leaves on the server.
@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresTargetLayoutTests {
    /// The stored columns of `events` as PostgreSQL types, for tables made by hand.
    static let columns = "id bigint, ts timestamptz, v double precision, event_date text"
    static let load5 = ["load", "--table", "events", "--partition", "2024-01-05"]

    func load(_ day: String) -> [String] { ["load", "--table", "events", "--partition", day] }

    /// The partitions of `events`, by name.
    func partitions(_ project: DestinationProject) throws -> [String] {
        try project.warehouse.query("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass ORDER BY 1
            """).compactMap { $0[0] }
    }

    /// Where the rows of `events` are: `<partition> <event_date> <rows>`, sorted.
    func placement(_ project: DestinationProject) throws -> [String] {
        try project.warehouse.query("""
            SELECT tableoid::regclass::text || ' ' || event_date || ' ' || count(*) FROM events GROUP BY tableoid, event_date ORDER BY 1
            """).compactMap { $0[0] }
    }

    func buildTables(_ project: DestinationProject) throws -> [String] {
        try project.warehouse.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                    + "AND starts_with(tablename, '_loadkit_new_')").compactMap { $0[0] }
    }

    func ledger(_ project: DestinationProject) throws -> [String] {
        try project.warehouse.query("SELECT partition_key || ' ' || fingerprint FROM _loadkit_ledger "
                                    + "WHERE table_name = 'events' ORDER BY 1").compactMap { $0[0] }
    }

    @Test("A table made with a DEFAULT partition: DELETE + INSERT in one transaction, rows routed to the DEFAULT partition, no partition created, other keys untouched")
    func defaultPartition() throws {
        let project = try DestinationProject(.postgres)
        _ = try project.warehouse.query("""
            CREATE TABLE events (\(Self.columns)) PARTITION BY LIST (event_date);
            CREATE TABLE events_other PARTITION OF events DEFAULT;
            INSERT INTO events VALUES (99, '2024-01-05T00:30:00Z', 1, '2024-01-05'), (98, '2024-01-07T00:30:00Z', 1, '2024-01-07');
            """)
        try project.day("2024-01-05", rows: 5)
        let report = try project.json(Self.load5)
        #expect(report["strategy"] as? String == "staged", "\(report)")
        #expect(report["rowsWritten"] as? Int == 5)
        #expect(try partitions(project) == ["events_other"])
        // Row 99 of the day was replaced; the other key's row is untouched.
        #expect(try placement(project) == ["events_other 2024-01-05 5", "events_other 2024-01-07 1"])
        let clean = try project.cleanFingerprint([Self.load5], partition: "2024-01-05")
        #expect(try project.fingerprint("events", "2024-01-05") == clean)
        _ = try project.json(Self.load5)
        #expect(try project.fingerprint("events", "2024-01-05") == clean)
        #expect(try buildTables(project).isEmpty)
    }

    @Test("A partitioned table made by hand whose columns have NOT NULL, a default and a collation of their own still swaps: its new and rebuilt partitions copy the definition (LIKE), with SQLite's fingerprints")
    func columnExtras() throws {
        let project = try DestinationProject(.postgres)
        _ = try project.warehouse.query("""
            CREATE TABLE events (id bigint NOT NULL DEFAULT 0, ts timestamptz, v double precision,
                                 event_date text COLLATE "C") PARTITION BY LIST (event_date)
            """)
        try project.day("2024-01-05", rows: 4)
        #expect(try project.json(Self.load5)["strategy"] as? String == "direct")
        try project.day("2024-01-05", rows: 6, offset: 1.5)
        try project.day("2024-01-06", rows: 3)
        #expect(try project.json(Self.load5)["strategy"] as? String == "direct", "a rebuilt partition")
        #expect(try project.json(load("2024-01-06"))["strategy"] as? String == "direct", "a new partition")
        #expect(try partitions(project).count == 2)
        #expect(try project.warehouse.scalar("""
            SELECT count(*) FROM pg_inherits i JOIN pg_attribute a ON a.attrelid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass AND a.attname = 'id' AND a.attnotnull
            """) == "2")
        #expect(try project.fingerprint() == project.cleanFingerprint([Self.load5, load("2024-01-06")]))
        #expect(try buildTables(project).isEmpty)
    }

    @Test("A DEFAULT partition added after loadkit's partitions: a reload deletes and inserts into loadkit's partition, a new key goes to the DEFAULT partition")
    func defaultPartitionAddedLater() throws {
        let project = try DestinationProject(.postgres)
        try project.day("2024-01-05", rows: 4)
        #expect(try project.json(Self.load5)["strategy"] as? String == "direct")
        let own = try #require(try partitions(project).first)
        _ = try project.warehouse.query("CREATE TABLE events_default PARTITION OF events DEFAULT")
        try project.day("2024-01-05", rows: 6, offset: 1.5)
        try project.day("2024-01-06", rows: 2)
        #expect(try project.json(Self.load5)["strategy"] as? String == "staged")
        #expect(try project.json(load("2024-01-06"))["strategy"] as? String == "staged")
        #expect(try partitions(project) == [own, "events_default"])
        #expect(try placement(project) == ["\(own) 2024-01-05 6", "events_default 2024-01-06 2"])
        #expect(try project.fingerprint() == project.cleanFingerprint([Self.load5, load("2024-01-06")]))
    }

    @Test("A foreign key referencing the target: loads fall back to DELETE + INSERT; one that would delete a referenced row fails naming the constraint (target.referenced, exit 1) and changes nothing; a deferred constraint lets it through")
    func inboundForeignKey() throws {
        let project = try DestinationProject(.postgres)
        try project.day("2024-01-05", rows: 3)
        _ = try project.json(Self.load5)
        _ = try project.warehouse.query("""
            ALTER TABLE events ADD PRIMARY KEY (event_date, id);
            CREATE TABLE notes (event_date text, id bigint, CONSTRAINT notes_event FOREIGN KEY (event_date, id) REFERENCES events);
            """)
        try project.day("2024-01-05", rows: 3, offset: 1.5)
        #expect(try project.json(Self.load5)["strategy"] as? String == "staged")
        #expect(try project.fingerprint() == project.cleanFingerprint([Self.load5]))

        _ = try project.warehouse.query("INSERT INTO notes VALUES ('2024-01-05', 1)")
        let before = try project.fingerprint()
        let ledgerBefore = try ledger(project)
        try project.day("2024-01-05", rows: 3, offset: 2.5)
        let failed = try project.json(Self.load5, status: 1)
        let error = try #require(failed["error"] as? [String: Any])
        #expect(error["code"] as? String == "target.referenced", "\(failed)")
        let message = error["message"] as? String ?? ""
        for fact in ["table 'events'", "notes_event", "is still referenced from table \"notes\"", "DELETE and INSERT",
                     "nothing was changed", "DEFERRABLE INITIALLY DEFERRED"] {
            #expect(message.contains(fact), "\(fact): \(message)")
        }
        #expect(try project.fingerprint() == before)
        #expect(try ledger(project) == ledgerBefore)

        _ = try project.warehouse.query("""
            ALTER TABLE notes DROP CONSTRAINT notes_event;
            ALTER TABLE notes ADD CONSTRAINT notes_event FOREIGN KEY (event_date, id) REFERENCES events DEFERRABLE INITIALLY DEFERRED;
            """)
        #expect(try project.json(Self.load5)["status"] as? String == "loaded")
        #expect(try project.fingerprint() == project.cleanFingerprint([Self.load5]))

        // Deferred, and the new rows drop a referenced key: refused at COMMIT, said as such.
        _ = try project.warehouse.query("INSERT INTO notes VALUES ('2024-01-05', 3)")
        let kept = try project.fingerprint()
        try project.day("2024-01-05", rows: 2, offset: 3.5)
        let deferred = try project.json(Self.load5, status: 1)
        let refusal = try #require(deferred["error"] as? [String: Any])
        #expect(refusal["code"] as? String == "target.referenced", "\(deferred)")
        let said = refusal["message"] as? String ?? ""
        for fact in ["table 'events'", "deferred foreign key", "nothing was changed"] {
            #expect(said.contains(fact), "\(fact): \(said)")
        }
        #expect(try project.fingerprint() == kept)
    }

    @Test("An UNLOGGED table, partition or partitioned table is refused (target.unsupported, exit 1) naming it and SET LOGGED; nothing changes; once logged it loads")
    func unlogged() throws {
        let plain = try DestinationProject(.postgres, tables: """
              airlines:
                source: { path: data/airlines.csv }
                columns: { carrier: text, name: text }
                write: replace

            """)
        _ = try plain.directory.write("data/airlines.csv", "carrier,name\nAA,American\nUA,United\n")
        _ = try plain.warehouse.query("CREATE UNLOGGED TABLE airlines (carrier text, name text); INSERT INTO airlines VALUES ('ZZ', 'kept')")
        let refused = try plain.json(["load", "--table", "airlines"], status: 1)
        let error = try #require(refused["error"] as? [String: Any])
        #expect(error["code"] as? String == "target.unsupported", "\(refused)")
        let message = error["message"] as? String ?? ""
        for fact in ["table 'airlines'", "is UNLOGGED", "empties an unlogged table after a server crash", "nothing was changed",
                     "ALTER TABLE \"\(plain.warehouse.schema!)\".\"airlines\" SET LOGGED"] {
            #expect(message.contains(fact), "\(fact): \(message)")
        }
        #expect(try plain.warehouse.query("SELECT carrier || name FROM airlines") == [["ZZkept"]])
        #expect(try plain.warehouse.scalar("SELECT count(*) FROM _loadkit_ledger") == "0")
        _ = try plain.warehouse.query("ALTER TABLE airlines SET LOGGED")
        #expect(try plain.json(["load", "--table", "airlines"])["rowsWritten"] as? Int == 2)

        let project = try DestinationProject(.postgres)
        try project.day("2024-01-05", rows: 3)
        _ = try project.json(Self.load5)
        let before = try project.fingerprint()
        _ = try project.warehouse.query("CREATE UNLOGGED TABLE events_feb PARTITION OF events FOR VALUES IN ('2024-02-01')")
        try project.day("2024-01-05", rows: 3, offset: 1.5)
        let partition = try project.json(Self.load5, status: 1)
        let partitionMessage = (partition["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(partitionMessage.contains("has UNLOGGED partitions (events_feb)"), "\(partitionMessage)")
        #expect(partitionMessage.contains("\"events_feb\" SET LOGGED"), "\(partitionMessage)")
        #expect(try project.fingerprint() == before)

        // PostgreSQL 18 refuses UNLOGGED partitioned tables itself; where it allows one, loadkit refuses it.
        let parent = try DestinationProject(.postgres)
        if (try? parent.warehouse.query("CREATE UNLOGGED TABLE events (\(Self.columns)) PARTITION BY LIST (event_date)")) != nil {
            try parent.day("2024-01-05", rows: 3)
            let refusedParent = try parent.json(Self.load5, status: 1)
            let parentMessage = (refusedParent["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(parentMessage.contains("is an UNLOGGED partitioned table"), "\(parentMessage)")
            #expect(try partitions(parent).isEmpty)
        }
    }

    @Test("The tables a swap builds are logged and never committed before the swap: while a static or dynamic load waits at before_commit, no table of it is visible; after it, every partition (one replaced, one new) has relpersistence 'p'",
          arguments: [false, true])
    func buildTablesAreLogged(dynamic: Bool) throws {
        let project = try DestinationProject(.postgres)
        try project.day("2024-01-05", rows: 3)
        try project.day("2024-01-06", rows: 3)
        _ = try project.json(Self.load5 + ["--quiet"])
        let before = try project.warehouse.query("""
            SELECT relname FROM pg_class WHERE relnamespace = current_schema()::text::regnamespace
            AND starts_with(relname, '_loadkit_') AND relkind = 'r' ORDER BY 1
            """).compactMap { $0[0] }
        let both = try project.directory.write("data/both.csv",
            try String(contentsOfFile: project.directory.path("data/events-2024-01-05.csv"), encoding: .utf8)
            + String(contentsOfFile: project.directory.path("data/events-2024-01-06.csv"), encoding: .utf8)
                .split(separator: "\n").dropFirst().map { $0 + "\n" }.joined())
        let arguments = dynamic ? ["load", "--table", "events", "--input", both] : Self.load5
        let schema = try #require(try project.warehouse.scalar("SELECT current_schema()"))
        let key = PostgresLockKey(schema: schema, table: "events", partition: "2024-01-05").value
        let child = try project.start(arguments, environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=3s"])
        // The load's transaction is open at the failpoint once it holds the partition's advisory lock.
        let deadline = ContinuousClock.now + .seconds(30)
        while try project.warehouse.scalar("""
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND (classid::bigint << 32 | objid::bigint) = \(key)
            """) == "0" {
            if ContinuousClock.now >= deadline { child.signal(SIGKILL) }
            try #require(ContinuousClock.now < deadline, "the load never reached its commit")
            Thread.sleep(forTimeInterval: 0.02)
        }
        let during = try project.warehouse.query("""
            SELECT relname FROM pg_class WHERE relnamespace = current_schema()::text::regnamespace
            AND starts_with(relname, '_loadkit_') AND relkind = 'r' ORDER BY 1
            """).compactMap { $0[0] }
        #expect(during == before, "nothing of the load is committed before its commit")
        #expect(child.wait().status == 0)
        let persistence = try project.warehouse.query("""
            SELECT c.relname, c.relpersistence::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass ORDER BY 1
            """)
        #expect(persistence.count == (dynamic ? 2 : 1), "\(persistence)")
        #expect(persistence.allSatisfy { $0[1] == "p" }, "\(persistence)")
    }

    @Test("A table partitioned by RANGE (made by hand): DELETE + INSERT routed into its partitions; a key no partition accepts fails (target.unsupported, exit 1) saying so, and nothing changes, not even the other day of the same input")
    func rangePartitioned() throws {
        let project = try DestinationProject(.postgres)
        _ = try project.warehouse.query("""
            CREATE TABLE events (\(Self.columns)) PARTITION BY RANGE (event_date);
            CREATE TABLE events_jan PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
            """)
        try project.day("2024-01-05", rows: 4)
        #expect(try project.json(Self.load5)["strategy"] as? String == "staged")
        #expect(try placement(project) == ["events_jan 2024-01-05 4"])
        #expect(try project.fingerprint() == project.cleanFingerprint([Self.load5]))
        let before = try project.fingerprint()
        let ledgerBefore = try ledger(project)

        try project.day("2024-02-03", rows: 2)
        let failed = try project.json(load("2024-02-03"), status: 1)
        let error = try #require(failed["error"] as? [String: Any])
        #expect(error["code"] as? String == "target.unsupported", "\(failed)")
        let message = error["message"] as? String ?? ""
        for fact in ["table 'events'", "no partition of relation \"events\" found for row", "(event_date) = (2024-02-03)",
                     "partitioned by RANGE (event_date)", "nothing was changed", "Create the partition"] {
            #expect(message.contains(fact), "\(fact): \(message)")
        }
        // One input with a day that fits and one that does not: all or nothing.
        try project.day("2024-01-06", rows: 2)
        let mixed = try project.directory.write("data/mixed.csv",
            try String(contentsOfFile: project.directory.path("data/events-2024-01-06.csv"), encoding: .utf8)
            + String(contentsOfFile: project.directory.path("data/events-2024-02-03.csv"), encoding: .utf8)
                .split(separator: "\n").dropFirst().map { $0 + "\n" }.joined())
        _ = try project.json(["load", "--table", "events", "--input", mixed], status: 1)
        #expect(try project.fingerprint() == before)
        #expect(try ledger(project) == ledgerBefore)
        #expect(try partitions(project) == ["events_jan"])
    }

    @Test("LIST partitions made by hand (one key, two keys): their rows are replaced in place by DELETE + INSERT; a key none holds gets a partition of loadkit's")
    func handMadeListPartitions() throws {
        let project = try DestinationProject(.postgres)
        _ = try project.warehouse.query("""
            CREATE TABLE events (\(Self.columns)) PARTITION BY LIST (event_date);
            CREATE TABLE ev_0105 PARTITION OF events FOR VALUES IN ('2024-01-05');
            CREATE TABLE "ev 06/07" PARTITION OF events FOR VALUES IN ('2024-01-06', '2024-01-07');
            """)
        for (day, rows) in [("2024-01-05", 3), ("2024-01-06", 2), ("2024-01-08", 4)] {
            try project.day(day, rows: rows)
            #expect(try project.json(load(day))["strategy"] as? String == "staged", "\(day)")
        }
        let names = try partitions(project)
        #expect(names.count == 3 && names.contains("ev_0105") && names.contains("ev 06/07"), "\(names)")
        let own = try #require(names.first { $0.hasPrefix("_loadkit_p_") })
        #expect(try placement(project) == ["\"ev 06/07\" 2024-01-06 2", "\(own) 2024-01-08 4", "ev_0105 2024-01-05 3"])
        try project.day("2024-01-06", rows: 5, offset: 3)
        _ = try project.json(load("2024-01-06"))
        #expect(try project.fingerprint() == project.cleanFingerprint(["2024-01-05", "2024-01-06", "2024-01-08"].map(load)))
    }

    @Test("A dynamic load into new partitions that fails on a bad row of its last day, after the first days' COPY ran, leaves no partition, no table and no ledger entry; fixed, it loads all three")
    func badRowInNewPartitions() throws {
        let project = try DestinationProject(.postgres)
        var text = "id,ts,v\n"
        for day in ["2024-01-05", "2024-01-06", "2024-01-07"] {
            for i in 1...400 { text += "\(i),\(day)T10:\(i % 60 < 10 ? "0" : "")\(i % 60):00Z,\(i).5\n" }
        }
        let file = try project.directory.write("data/three.csv", text + "401,2024-01-07T11:00:00Z,not a number\n")
        let dynamic = ["load", "--table", "events", "--input", file]
        _ = try project.json(dynamic, status: 1)
        #expect(try partitions(project).isEmpty)
        #expect(try project.warehouse.scalar("""
            SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::text::regnamespace
            AND (starts_with(relname, '_loadkit_p_') OR starts_with(relname, '_loadkit_new_'))
            """) == "0", "no table of the load is left")
        #expect(try ledger(project).isEmpty)

        _ = try project.directory.write("data/three.csv", text)
        _ = try project.json(dynamic)
        #expect(try partitions(project).count == 3)
        #expect(try project.fingerprint() == project.cleanFingerprint([dynamic]))
    }

    @Test("kill -9 while the COPY streams a big input, into a replaced or a new partition: the target, its partitions and the ledger are unchanged, the server ends the load's backend, nothing is left for gc, and a rerun gives a clean load's fingerprint",
          arguments: [false, true])
    func killedMidCopy(newPartition: Bool) throws {
        let project = try DestinationProject(.postgres)
        let first = newPartition ? load("2024-01-06") : Self.load5
        try project.day(newPartition ? "2024-01-06" : "2024-01-05", rows: 10)
        _ = try project.json(first)
        let before = try project.fingerprint()
        let partitionsBefore = try partitions(project)
        let ledgerBefore = try ledger(project)
        try project.day("2024-01-05", rows: 300_000, offset: 7)

        let child = try project.start(Self.load5)
        var ended: ChildProcess.Result?
        defer { if ended == nil { child.signal(SIGKILL); _ = child.wait() } }
        // pg_stat_progress_copy (PostgreSQL 14+) shows the COPY into the new partition's table.
        let deadline = ContinuousClock.now + .seconds(60)
        var backend: String?
        while backend == nil {
            try #require(ContinuousClock.now < deadline, "the COPY was never seen in progress")
            // The table is created in the COPY's own transaction: not in pg_class for others yet.
            backend = try project.warehouse.scalar("""
                SELECT p.pid FROM pg_stat_progress_copy p JOIN pg_stat_activity a ON a.pid = p.pid
                WHERE p.datname = current_database() AND a.query LIKE '%' || current_schema() || '%'
                AND p.tuples_processed > 1000
                """)
            if backend == nil { Thread.sleep(forTimeInterval: 0.005) }
        }
        child.signal(SIGKILL)
        let killed = child.wait()
        ended = killed
        #expect(killed.wasSignalled && killed.status == SIGKILL, "the load was killed mid-COPY, not finished: \(killed)")
        let gone = ContinuousClock.now + .seconds(10)
        while try project.warehouse.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = \(backend!)") != "0" {
            try #require(ContinuousClock.now < gone, "the killed load's backend \(backend!) is still there")
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(try project.fingerprint() == before)
        #expect(try ledger(project) == ledgerBefore)
        #expect(try partitions(project) == partitionsBefore, "no partition was added or replaced")
        #expect(try buildTables(project).isEmpty, "the build table was never committed")
        #expect(try project.warehouse.scalar("""
            SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::text::regnamespace
            AND starts_with(relname, '_loadkit_p_') AND relkind = 'r'
            """) == String(partitionsBefore.count), "no table of the new partition is left")
        let gc = try project.json(["gc"])
        #expect((gc["dropped"] as? [String]) == [], "\(gc)")

        let rerun = try project.json(Self.load5)
        #expect(rerun["rowsWritten"] as? Int == 300_000)
        #expect(try project.fingerprint() == project.cleanFingerprint(newPartition ? [first, Self.load5] : [Self.load5]))
        #expect(try project.warehouse.scalar("SELECT count(*) FROM _loadkit_runs WHERE status = 'running'") == "0")
        #expect(try buildTables(project).isEmpty)
    }

    @Test("SIGINT while the load's statement waits on the server (a lock another session holds): PQcancel ends it at once, the process exits 1 within seconds, its backend is gone, the run and attempt are recorded interrupted, the target unchanged")
    func interruptCancelsStatement() throws {
        let project = try DestinationProject(.postgres)
        try project.day("2024-01-05", rows: 3)
        _ = try project.json(Self.load5)
        let before = try project.fingerprint()
        try project.day("2024-01-05", rows: 3, offset: 4)

        let locker = try PGConnection(uri: project.warehouse.location)
        try locker.execute("BEGIN; LOCK TABLE \(project.warehouse.schema!).events IN ACCESS EXCLUSIVE MODE")
        defer { _ = try? locker.execute("ROLLBACK") }
        let child = try project.start(Self.load5)
        var ended: ChildProcess.Result?
        defer { if ended == nil { child.signal(SIGKILL); _ = child.wait() } }
        let deadline = ContinuousClock.now + .seconds(30)
        var backend: String?
        while backend == nil {
            try #require(ContinuousClock.now < deadline, "the load never waited for the lock")
            backend = try project.warehouse.scalar("""
                SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
                AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """)
            if backend == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        let clock = ContinuousClock()
        let signalled = clock.now
        child.signal(SIGINT)
        let interrupted = DestinationProject.wait(child, killingAfter: .seconds(20))
        ended = interrupted
        #expect(clock.now - signalled < .seconds(5), "exited \(clock.now - signalled) after SIGINT")
        #expect(interrupted.status == 1 && !interrupted.wasSignalled, "\(interrupted)")
        #expect(interrupted.stderr.contains("table events, partition 2024-01-05: interrupted (SIGINT or SIGTERM)"), "\(interrupted.stderr)")
        // The statement was cancelled, not left waiting on the server for the lock.
        #expect(try project.warehouse.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = \(backend!) AND state = 'active'") == "0")
        try locker.execute("ROLLBACK")
        #expect(try project.warehouse.query("SELECT status FROM _loadkit_runs ORDER BY seq") == [["success"], ["interrupted"]])
        #expect(try project.warehouse.query("SELECT status FROM _loadkit_attempts ORDER BY id") == [["success"], ["interrupted"]])
        #expect(try project.fingerprint() == before)
        #expect(try buildTables(project).isEmpty)
    }
}
