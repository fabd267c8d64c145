import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Two `loadkit load` processes started at the same moment on the same partition end in the
/// state of one load.
@Suite struct ConcurrentLoadTests {
    enum Kind: String, CaseIterable, Sendable {
        case staticReplace, appendPartition, dynamicReplace
        var mode: WriteMode { self == .appendPartition ? .append : .replace }
    }

    static let rowCount = 12_000
    static let rows = EventsFixture.day(5, count: rowCount, firstID: 1)
    static let csv = eventsCSV(rows)
    static let appendID = LoadID.make(table: "events", mode: .append, scope: .partition("2024-01-05"))
    /// The fingerprint of one load of `rows`, computed once: replace and append stored forms.
    static let replaced = fingerprint(of: rows.map { storedEvent($0, key: "2024-01-05") })
    static let appended = fingerprint(of: rows.map { storedEvent($0, key: "2024-01-05", loadID: appendID) })

    @Test("Two processes loading the same partition at once: both exit 0, one load's fingerprint, one ledger row",
          arguments: Kind.allCases, [true, false])
    func sameTimeSamePartition(_ kind: Kind, freshWarehouse: Bool) throws {
        // Several rounds: a race that loses only sometimes must still fail the test.
        for round in 1...(freshWarehouse ? 3 : 2) {
            try race(kind, freshWarehouse: freshWarehouse, round: round)
        }
    }

    /// One race. With `freshWarehouse` the warehouse file does not exist yet when both start;
    /// otherwise another day (2024-01-06) is loaded first and must survive.
    private func race(_ kind: Kind, freshWarehouse: Bool, round: Int) throws {
        let project = try CLIProject(yaml: """
            warehouse: warehouse.db
            tables:
              events:
                source:
                  path: "data/events-{date}.csv"
                columns: { id: integer, ts: timestamp, v: real }
                partition: { column: event_date, granularity: day, from: ts, timezone: America/New_York }
                write: \(kind.mode.rawValue)

            """)
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
        let arguments = kind == .dynamicReplace
            ? ["--table", "events", "--input", "data/events-2024-01-05.csv"]
            : ["--table", "events", "--partition", "2024-01-05"]

        let (endedA, endedB) = try project.loadTwiceAtOnce(arguments)
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
        let destination = try SQLiteDestination(path: project.warehouse)
        #expect(try destination.fingerprint(table: table, partition: "2024-01-05") == expected, "round \(round)")
        #expect(try destination.fingerprint(table: table, partition: nil) == expected.combined(with: other), "round \(round)")
        expectedLedger.insert(LedgerRow(key: "2024-01-05", loadID: loadID, mode: kind.mode, fingerprint: expected,
                                        source: try sha256(ofFile: project.dir.path("data/events-2024-01-05.csv"))))
        #expect(try ledgerRows(project.warehouse, table: "events") == expectedLedger, "round \(round)")
        try expectLedgerMatchesData(project.warehouse, table)
        #expect(try stagingLeftovers(project.warehouse) == [])
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
