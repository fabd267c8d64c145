import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Two `loadkit load` processes on the same partition, started at the same moment or the second
/// while the first commits, end in the state of one load, on every destination.
@Suite struct ConcurrentLoadTests {
    enum Kind: String, CaseIterable, Sendable {
        case staticReplace, appendPartition, dynamicReplace
        var mode: WriteMode { self == .appendPartition ? .append : .replace }
    }

    /// A kind of load on one destination.
    struct Race: Sendable, CustomTestStringConvertible {
        var kind: Kind
        var destination: TestDestination
        var testDescription: String { "\(kind.rawValue) on \(destination.testDescription)" }
        static let all = TestDestination.available.flatMap { d in Kind.allCases.map { Race(kind: $0, destination: d) } }
    }

    static let rowCount = 12_000
    static let rows = EventsFixture.day(5, count: rowCount, firstID: 1)
    static let csv = eventsCSV(rows)
    static let appendID = LoadID.make(table: "events", mode: .append, scope: .partition("2024-01-05"))
    /// The fingerprint of one load of `rows`, computed once: replace and append stored forms.
    static let replaced = fingerprint(of: rows.map { storedEvent($0, key: "2024-01-05") })
    static let appended = fingerprint(of: rows.map { storedEvent($0, key: "2024-01-05", loadID: appendID) })

    @Test("Two processes loading the same partition at once: both exit 0, one load's fingerprint, one ledger row",
          arguments: Race.all, [true, false])
    func sameTimeSamePartition(_ race: Race, freshWarehouse: Bool) throws {
        // Several rounds: a race that loses only sometimes must still fail the test.
        for round in 1...(freshWarehouse ? 3 : 2) {
            try self.race(race.kind, on: race.destination, freshWarehouse: freshWarehouse, round: round)
        }
    }

    /// The project of the races: events by New York day, `write:` by `kind`.
    private func project(_ kind: Kind, on destination: TestDestination) throws -> CLIProject {
        try CLIProject(yaml: """
            warehouse: warehouse.db
            tables:
              events:
                source:
                  path: "data/events-{date}.csv"
                columns: { id: integer, ts: timestamp, v: real }
                partition: { column: event_date, granularity: day, from: ts, timezone: America/New_York }
                write: \(kind.mode.rawValue)

            """, on: destination)
    }

    /// The arguments of a load of 2024-01-05.
    private func arguments(_ kind: Kind) -> [String] {
        kind == .dynamicReplace ? ["--table", "events", "--input", "data/events-2024-01-05.csv"]
            : ["--table", "events", "--partition", "2024-01-05"]
    }

    /// One race. With `freshWarehouse` the warehouse (SQLite file, PostgreSQL schema) is empty
    /// when both start; otherwise another day (2024-01-06) is loaded first and must survive.
    private func race(_ kind: Kind, on destination: TestDestination, freshWarehouse: Bool, round: Int) throws {
        let project = try self.project(kind, on: destination)
        try project.write("data/events-2024-01-05.csv", Self.csv)
        let otherRows = EventsFixture.day(6, count: 3, firstID: 100_000)
        var expectedLedger: Set<LedgerRow> = []
        let table = try EventsFixture().table(kind.mode)
        var other = Fingerprint()
        if !freshWarehouse {
            try project.write("data/events-2024-01-06.csv", eventsCSV(otherRows))
            let setup = try project.load(["--table", "events", "--partition", "2024-01-06"])
            try #require(setup.status == 0, "\(setup.stderr)")
            let otherID = LoadID.make(table: "events", mode: kind.mode, scope: .partition("2024-01-06"))
            other = fingerprint(of: otherRows.map { storedEvent($0, key: "2024-01-06", loadID: kind == .appendPartition ? otherID : nil) })
            expectedLedger.insert(LedgerRow(key: "2024-01-06", loadID: otherID, mode: kind.mode, fingerprint: other,
                                            source: try sha256(ofFile: project.dir.path("data/events-2024-01-06.csv"))))
        }
        let (endedA, endedB) = try project.loadTwiceAtOnce(arguments(kind))
        #expect(endedA.status == 0 && !endedA.wasSignalled, "round \(round): \(endedA.stderr)")
        #expect(endedB.status == 0 && !endedB.wasSignalled, "round \(round): \(endedB.stderr)")

        let loaded = "events partition 2024-01-05: loaded \(Self.rowCount) rows\n"
        let outputs = [endedA.stdout, endedB.stdout].sorted()
        if kind == .appendPartition {
            #expect(outputs == ["events partition 2024-01-05: already loaded with the same content; nothing changed\n", loaded])
        } else {
            #expect(outputs == [loaded, loaded])
        }

        let loadID = LoadID.make(table: "events", mode: kind.mode, scope: .partition("2024-01-05"))
        let expected = kind == .appendPartition ? Self.appended : Self.replaced
        let warehouse = try project.store.open()
        #expect(try warehouse.fingerprint(table: table, partition: "2024-01-05") == expected, "round \(round)")
        #expect(try warehouse.fingerprint(table: table, partition: nil) == expected.combined(with: other), "round \(round)")
        expectedLedger.insert(LedgerRow(key: "2024-01-05", loadID: loadID, mode: kind.mode, fingerprint: expected,
                                        source: try sha256(ofFile: project.dir.path("data/events-2024-01-05.csv"))))
        #expect(try project.store.ledgerRows(table: "events") == expectedLedger, "round \(round)")
        try project.store.expectLedgerMatchesData(table)
        #expect(try project.store.stagingLeftovers() == [])
    }

    @Test("A second load of a partition that another process is committing waits for its lock, then ends as one load: both exit 0, one ledger row, one load's fingerprint",
          arguments: Race.all)
    func secondWaitsForTheFirst(_ race: Race) throws {
        let kind = race.kind
        let project = try self.project(kind, on: race.destination)
        let rows = EventsFixture.day(5, count: 50, firstID: 1)
        try project.write("data/events-2024-01-05.csv", eventsCSV(rows))
        let first = try project.start(arguments(kind), tag: "first",
                                      environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=3s"])
        defer { first.kill(); _ = first.wait() }
        // The first holds the partition's lock from the start of its load until its commit.
        let deadline = ContinuousClock.now + .seconds(30)
        while try project.store.heldLoadLocks() == 0 {
            try #require(ContinuousClock.now < deadline, "the first load never took its lock")
            usleep(20_000)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let second = try project.load(arguments(kind))
        let waited = clock.now - started
        let firstEnded = first.wait()
        #expect(firstEnded.status == 0 && !firstEnded.wasSignalled, "\(firstEnded.stderr)")
        #expect(second.status == 0 && !second.wasSignalled, "\(second.stderr)")
        #expect(waited > .seconds(1), "the second waited for the first's commit (it took \(waited))")

        let loaded = "events partition 2024-01-05: loaded 50 rows\n"
        #expect(firstEnded.stdout == loaded)
        #expect(second.stdout == (kind == .appendPartition
            ? "events partition 2024-01-05: already loaded with the same content; nothing changed\n" : loaded))
        let loadID = LoadID.make(table: "events", mode: kind.mode, scope: .partition("2024-01-05"))
        let stored = rows.map { storedEvent($0, key: "2024-01-05", loadID: kind == .appendPartition ? loadID : nil) }
        let table = try EventsFixture().table(kind.mode)
        #expect(try project.store.open().fingerprint(table: table, partition: nil) == fingerprint(of: stored))
        #expect(try project.store.ledgerRows(table: "events") == [
            LedgerRow(key: "2024-01-05", loadID: loadID, mode: kind.mode, fingerprint: fingerprint(of: stored),
                      source: try sha256(ofFile: project.dir.path("data/events-2024-01-05.csv"))),
        ])
        try project.store.expectLedgerMatchesData(table)
        #expect(try project.store.stagingLeftovers() == [])
    }

    @Test("Opening a warehouse while another connection still writes it for the first time waits, never fails with BUSY")
    func openWhileAnotherCreates() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("warehouse.db")
        // Another process creating the warehouse: a write transaction on the new file, not yet WAL.
        let creator = try SQLiteConnection(path: path, walJournal: false)
        try creator.execute("BEGIN IMMEDIATE; CREATE TABLE other(x)")
        let clock = ContinuousClock()
        let started = clock.now
        // A real thread, not a task: the open blocks, and blocking the shared task pool while
        // other tests run could starve the commit below.
        let outcome = OpenOutcome()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            outcome.set(Result {
                let destination = try SQLiteDestination(path: path, busyTimeout: .seconds(10))
                try destination.prepareCatalog()
            })
            finished.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.3)
        try creator.execute("COMMIT")
        finished.wait()
        #expect(throws: Never.self, "the open must wait for the lock (busy timeout 10 s)") { try outcome.get() }
        #expect(clock.now - started >= .milliseconds(300))
        #expect(try SQLiteConnection(path: path).scalar("PRAGMA journal_mode") == .text("wal"))
    }
}

private final class OpenOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Void, any Error> = .success(())
    func set(_ r: Result<Void, any Error>) { lock.withLock { result = r } }
    func get() throws { try lock.withLock { result }.get() }
}
