import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// The two write strategies (``WriteStrategy``): a replace written directly into the target
/// ends exactly where the same input staged ends, a bad row leaves the target byte-identical,
/// and a dynamic direct replace that meets a partition lock held elsewhere neither waits while
/// it holds the write lock nor fails: it rolls back and stages.
@Suite struct WriteStrategyTests {
    /// A load of the equivalence matrix.
    enum Case: String, CaseIterable, Sendable {
        /// `--partition 2024-01-03` over the old rows.
        case staticReplace
        /// `--input` with 14 partitions whose rows interleave (some old, some new), 5,000 rows:
        /// partitions start in the middle of the writer's batches and at their edges.
        case dynamicInterleaved
        /// An unpartitioned table.
        case wholeTable
        /// A header-only source with `allow_empty: true`: empties the partition.
        case staticAllowEmpty
        /// `outside_rows: skip`: rows of other days are dropped and counted.
        case staticOutsideSkip
        /// A dynamic load of the real nycflights13 sample (gzip, `NA` nulls, every column type).
        case flightsSample
    }

    /// What a load left: its result, every stored row (sorted), the fingerprint and the raw ledger.
    struct Outcome {
        var result: LoadResult
        var rows: [[Value]]
        var fingerprint: Fingerprint
        var ledger: [[Value]]
    }

    static let runID = "20240101T000000Z-00000001"
    static let commitTime = Date(timeIntervalSince1970: 1_704_067_200)

    /// `count` rows over the New York days `days` of January 2024, interleaved round-robin,
    /// each with its partition key.
    static func keyed(days: [Int], count: Int, firstID: Int, offset: Double) -> [(key: String, row: EventRow)] {
        let perDay = days.map { EventsFixture.day($0, count: count / days.count + 1, firstID: firstID + $0 * 10_000, offset: offset) }
        return (0..<count).map { i in
            let day = days[i % days.count]
            return (day < 10 ? "2024-01-0\(day)" : "2024-01-\(day)", perDay[i % days.count][i / days.count])
        }
    }

    /// The rows of ``keyed(days:count:firstID:offset:)``.
    static func interleaved(days: [Int], count: Int, firstID: Int, offset: Double) -> [EventRow] {
        keyed(days: days, count: count, firstID: firstID, offset: offset).map(\.row)
    }

    /// Loads the old rows, then `c` with `strategy`, into a fresh warehouse.
    func run(_ c: Case, strategy: WriteStrategy) throws -> Outcome {
        let f = try EventsFixture()
        let partitioned = c != .wholeTable && c != .flightsSample
        var table = try f.table(outsideRows: c == .staticOutsideSkip ? .skip : .error, allowEmpty: c == .staticAllowEmpty)
        if c == .wholeTable { table = try TargetTable(name: "events", schema: EventsFixture.schema) }
        var input: LoadRequest.Input
        if c == .flightsSample {
            table = try TargetTable(name: "flights", schema: FlightsPartitioningTests.schema, partitioning: .init(
                column: "flight_date", scheme: PartitionScheme(granularity: .day, timeZone: EventsFixture.newYork),
                sourceColumn: "time_hour"))
            input = .file(path: Paths.packageRoot + "/Fixtures/csv/flights_sample.csv.gz", format: .csv,
                          options: SourceOptions(nullTokens: ["NA"], timeZone: EventsFixture.newYork),
                          identity: "flights_sample.csv.gz", displayName: "flights_sample.csv.gz")
        } else {
            // Old rows: days 1–8, some of which the load replaces and some it must leave alone.
            let old = Self.interleaved(days: Array(1...8), count: 400, firstID: 1, offset: 0.5)
            let setup = Loader(destination: try SQLiteDestination(path: f.warehouse))
            // A fixed clock: the two runs' ledgers are compared column by column, loaded_at included.
            setup.now = { Self.commitTime }
            var first = LoadRequest(table: table, input: f.input(try f.csv("old.csv", old)),
                                    scope: partitioned ? .dynamic : .wholeTable, runID: "setup")
            first.strategy = .staged
            _ = try setup.load(first)
            let rows: [EventRow]
            switch c {
            case .staticReplace: rows = EventsFixture.day(3, count: 1_500, firstID: 50_000, offset: 7)
            case .dynamicInterleaved:
                rows = Self.interleaved(days: [2, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 3], count: 5_000,
                                        firstID: 100_000, offset: 3)
            case .wholeTable: rows = Self.interleaved(days: [1, 2, 3], count: 1_000, firstID: 200_000, offset: 1)
            case .staticAllowEmpty: rows = []
            case .staticOutsideSkip:
                rows = Self.interleaved(days: [3, 4, 3, 5], count: 900, firstID: 300_000, offset: 2)
            case .flightsSample: rows = []
            }
            input = f.input(try f.csv("new.csv", rows))
        }
        let scope: LoadRequest.Scope = switch c {
        case .staticReplace, .staticAllowEmpty, .staticOutsideSkip:
            .partition(try table.partitioning!.scheme.partition(forKey: "2024-01-03"))
        case .dynamicInterleaved, .flightsSample: .dynamic
        case .wholeTable: .wholeTable
        }
        let loader = Loader(destination: try SQLiteDestination(path: f.warehouse))
        loader.now = { Self.commitTime }
        var request = LoadRequest(table: table, input: input, scope: scope, runID: Self.runID)
        request.strategy = strategy
        let result = try loader.load(request)
        let db = try f.db()
        let columns = table.storedColumns.map { Identifier.quoted($0.name) }.joined(separator: ", ")
        let rows = try db.query("SELECT \(columns) FROM \(Identifier.quoted(table.name)) ORDER BY \(columns)")
        let ledger = try db.query("SELECT * FROM _loadkit_ledger ORDER BY table_name, load_id")
        return Outcome(result: result, rows: rows, fingerprint: try tableFingerprint(f.warehouse, table), ledger: ledger)
    }

    @Test("The same input written directly and staged gives the same rows, fingerprint, ledger entries and counts",
          arguments: Case.allCases)
    func sameOutcome(_ c: Case) throws {
        let direct = try run(c, strategy: .direct)
        let staged = try run(c, strategy: .staged)
        #expect(direct.result.strategy == .direct)
        #expect(staged.result.strategy == .staged)
        #expect(direct.result.status == .loaded && staged.result.status == .loaded)
        #expect(direct.rows == staged.rows)
        #expect(direct.fingerprint == staged.fingerprint)
        #expect(direct.ledger == staged.ledger)
        #expect(direct.result.entries == staged.result.entries)
        #expect(direct.result.rowsRead == staged.result.rowsRead)
        #expect(direct.result.rowsSkipped == staged.result.rowsSkipped)
        #expect(direct.result.rowsWritten == staged.result.rowsWritten)
        #expect(direct.result.sourceFingerprint == staged.result.sourceFingerprint)
        #expect(direct.result.loadID == staged.result.loadID)
        switch c {
        case .dynamicInterleaved: #expect(direct.result.entries.count == 14)
        case .staticOutsideSkip: #expect(direct.result.rowsSkipped > 0)
        case .staticAllowEmpty: #expect(direct.result.entries.map(\.fingerprint.rows) == [0])
        case .flightsSample: #expect(direct.result.rowsWritten == 19)
        default: break
        }
    }

    /// The SHA-256 of the warehouse file once every committed page is in it (WAL checkpointed).
    private func checkpointedFileHash(_ warehouse: String) throws -> String {
        try SQLiteConnection(path: warehouse).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return try sha256(ofFile: warehouse)
    }

    @Test("A bad row in the middle of a dynamic direct replace rolls it all back: the warehouse file is byte-identical")
    func badRowLeavesTargetByteIdentical() throws {
        let f = try EventsFixture()
        let table = try f.table()
        _ = try f.load(table, try f.csv("old.csv", Self.interleaved(days: Array(1...9), count: 900, firstID: 1, offset: 0.5)))
        let before = try checkpointedFileHash(f.warehouse)
        let rowsBefore = try f.db().query("SELECT rowid, * FROM events ORDER BY rowid")
        let ledgerBefore = try f.db().query("SELECT * FROM _loadkit_ledger ORDER BY load_id")

        // 60,000 rows over 15 days (old days among them), far more than SQLite's page cache holds,
        // so the open transaction has spilled pages into the write-ahead log when the bad row comes.
        let rows = Self.interleaved(days: Array(1...15), count: 60_000, firstID: 100_000, offset: 9)
        var text = eventsCSV(rows)
        let bad = "999999,2024-01-07T12:00:00Z,not-a-number\n"
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        text = lines[..<50_001].joined(separator: "\n") + "\n" + bad + lines[50_001...].joined(separator: "\n")
        let path = try f.dir.write("bad.csv", text)

        var request = LoadRequest(table: table, input: f.input(path), scope: .dynamic)
        request.strategy = .direct
        let error = try #require(throws: LoadKitError.self) { _ = try f.loader().load(request) }
        #expect(error.description == "bad.csv, line 50002, column v: 'not-a-number' is not a real number")
        #expect(try f.db().query("SELECT rowid, * FROM events ORDER BY rowid") == rowsBefore)
        #expect(try f.db().query("SELECT * FROM _loadkit_ledger ORDER BY load_id") == ledgerBefore)
        #expect(try checkpointedFileHash(f.warehouse) == before)
        #expect(try stagingLeftovers(f.warehouse) == [])
        #expect(try f.db().scalar("PRAGMA integrity_check") == .text("ok"))
    }

    @Test("A dynamic direct replace that meets a partition locked by another run rolls back, stages, and waits for it")
    func lockedPartitionFallsBackToStaging() throws {
        let f = try EventsFixture()
        let table = try f.table()
        _ = try f.load(table, try f.csv("old.csv", Self.interleaved(days: [1, 2, 3], count: 30, firstID: 1, offset: 0.5)))
        let keyed = Self.keyed(days: [1, 2, 3, 4], count: 4_000, firstID: 10_000, offset: 2)
        let path = try f.csv("new.csv", keyed.map(\.row))

        // Another run holds day 3 (a static load of it, say) and lets go after 300 ms.
        let holder = HookedDestination(try SQLiteDestination(path: f.warehouse))
        try holder.acquireLock("partition events 2024-01-03", runID: "other-run", timeout: .seconds(1))
        let released = DispatchSemaphore(value: 0)
        Thread {
            Thread.sleep(forTimeInterval: 0.3)
            try? holder.releaseLock("partition events 2024-01-03", runID: "other-run")
            released.signal()
        }.start()

        var request = LoadRequest(table: table, input: f.input(path), scope: .dynamic, lockTimeout: .seconds(30))
        request.strategy = .direct
        let result = try f.loader().load(request)
        released.wait()
        #expect(result.status == .loaded)
        #expect(result.strategy == .staged)
        #expect(result.entries.map(\.partitionKey) == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
        #expect(try f.tableFingerprint(table) == fingerprint(of: keyed.map { storedEvent($0.row, key: $0.key) }))
        try expectLedgerMatchesData(f.warehouse, table)
        #expect(try stagingLeftovers(f.warehouse) == [])
    }

    @Test("A lock held elsewhere past lock_timeout fails the dynamic load naming the partition; nothing changes")
    func lockedPartitionTimesOut() throws {
        let f = try EventsFixture()
        let table = try f.table()
        _ = try f.load(table, try f.csv("old.csv", Self.interleaved(days: [1, 2, 3], count: 30, firstID: 1, offset: 0.5)))
        let before = try f.rawLedger()
        let fingerprintBefore = try f.tableFingerprint(table)
        let holder = try SQLiteDestination(path: f.warehouse)
        try holder.acquireLock("partition events 2024-01-02", runID: "other-run", timeout: .seconds(1))
        defer { try? holder.releaseLock("partition events 2024-01-02", runID: "other-run") }

        let path = try f.csv("new.csv", Self.interleaved(days: [1, 2, 3], count: 3_000, firstID: 10_000, offset: 2))
        let request = LoadRequest(table: table, input: f.input(path), scope: .dynamic, lockTimeout: .milliseconds(200))
        let error = try #require(throws: LoadKitError.self) { _ = try f.loader().load(request) }
        #expect(error.code == .locked)
        #expect(error.isTransient)
        #expect(error.description.contains("partition events 2024-01-02 is locked by run other-run"), "\(error)")
        #expect(try f.rawLedger() == before)
        #expect(try f.tableFingerprint(table) == fingerprintBefore)
    }

    @Test("A static load holding its partition lock and waiting for the write lock does not deadlock with a dynamic direct replace reaching that partition")
    func noDeadlockBetweenWriteLockAndPartitionLock() throws {
        let f = try EventsFixture()
        let table = try f.table()
        _ = try f.load(table, try f.csv("old.csv", Self.interleaved(days: [1, 2], count: 20, firstID: 1, offset: 0.5)))
        // A: a dynamic replace of days 1 and 2, day 1 first, with far more rows than the
        // pipeline holds in flight, so A reaches day 2 only after its writer thread goes on.
        // B: a static replace of day 2.
        let dayOne = EventsFixture.day(1, count: 20_000, firstID: 100_000, offset: 1)
        let dayTwo = EventsFixture.day(2, count: 2_000, firstID: 200_000, offset: 1)
        let dynamicPath = try f.csv("dynamic.csv", dayOne + dayTwo)
        let staticPath = try f.csv("static.csv", EventsFixture.day(2, count: 50, firstID: 300_000, offset: 5))

        let aStarted = DispatchSemaphore(value: 0)
        let bHoldsDayTwo = DispatchSemaphore(value: 0)
        let bBegins = DispatchSemaphore(value: 0)
        let a = HookedDestination(try SQLiteDestination(path: f.warehouse, busyTimeout: .seconds(20)))
        // A, holding the write lock, starts day 1 (deleting its rows), then waits until B
        // holds day 2's lock and is about to wait for the write lock.
        a.onReplacePartition = { key in
            guard key == "2024-01-01" else { return }
            aStarted.signal()
            bHoldsDayTwo.wait()
            bBegins.wait()
            Thread.sleep(forTimeInterval: 0.1)
        }
        let b = HookedDestination(try SQLiteDestination(path: f.warehouse, busyTimeout: .seconds(20)))
        try b.prepareCatalog()
        try b.ensureTable(table)
        b.onAcquiredLock = { key in if key == "partition events 2024-01-02" { bHoldsDayTwo.signal() } }
        b.onBeginReplace = { bBegins.signal() }

        let outcomeB = ThreadResult<LoadResult>()
        let finishedB = DispatchSemaphore(value: 0)
        let partitionTwo = try table.partitioning!.scheme.partition(forKey: "2024-01-02")
        Thread {
            aStarted.wait()
            outcomeB.set(Result {
                var request = LoadRequest(table: table, input: f.input(staticPath), scope: .partition(partitionTwo),
                                          runID: "run-b", lockTimeout: .seconds(20))
                request.strategy = .direct
                return try Loader(destination: b).load(request)
            })
            finishedB.signal()
        }.start()
        var request = LoadRequest(table: table, input: f.input(dynamicPath), scope: .dynamic, runID: "run-a",
                                  lockTimeout: .seconds(20))
        request.strategy = .direct
        // Had A waited for day 2's lock inside its transaction, both would wait out their 20 s
        // and fail (A on the lock, B on the write lock).
        let resultA = try Loader(destination: a).load(request)
        finishedB.wait()
        let resultB = try outcomeB.get()
        #expect(resultA.status == .loaded && resultB.status == .loaded)
        #expect(resultA.strategy == .staged, "A rolled its direct write back and staged")
        #expect(resultB.strategy == .direct)
        // A committed last (it waited for day 2's lock until B had committed): its rows are the state.
        #expect(try f.tableFingerprint(table) == fingerprint(of: EventsFixture.stored(dayOne, key: "2024-01-01")
                                                             + EventsFixture.stored(dayTwo, key: "2024-01-02")))
        #expect(try ledgerRows(f.warehouse, table: "events").map(\.partitionKey).sorted { ($0 ?? "") < ($1 ?? "") }
                == ["2024-01-01", "2024-01-02"])
        try expectLedgerMatchesData(f.warehouse, table)
    }
}

/// A result set by another thread.
final class ThreadResult<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.withLock { result = r } }
    func get() throws -> T {
        guard let result = lock.withLock({ result }) else { throw LoadKitError(.io, "no result") }
        return try result.get()
    }
}

/// A ``SQLiteDestination`` with hooks at the moments the lock tests order two loads by.
final class HookedDestination: Destination, @unchecked Sendable {
    let inner: SQLiteDestination
    var onAcquiredLock: ((String) -> Void)?
    var onBeginReplace: (() -> Void)?
    var onReplacePartition: ((String?) -> Void)?

    init(_ inner: SQLiteDestination) { self.inner = inner }

    func prepareCatalog() throws { try inner.prepareCatalog() }
    func ensureTable(_ table: TargetTable) throws { try inner.ensureTable(table) }
    func existingColumns(of table: String) throws -> [TargetTable.StoredColumn] { try inner.existingColumns(of: table) }
    func acquireLock(_ key: String, runID: String, timeout: Duration) throws {
        try inner.acquireLock(key, runID: runID, timeout: timeout)
        onAcquiredLock?(key)
    }
    func releaseLock(_ key: String, runID: String) throws { try inner.releaseLock(key, runID: runID) }
    func interrupt() { inner.interrupt() }
    func beginReplace(_ table: TargetTable, loadID: String) throws -> (any PartitionReplaceWriter)? {
        onBeginReplace?()
        return try inner.beginReplace(table, loadID: loadID).map { HookedReplaceWriter($0, onReplace: onReplacePartition) }
    }
    func createStaging(_ name: String, for table: TargetTable) throws -> any StagingWriter {
        try inner.createStaging(name, for: table)
    }
    func dropStaging(_ name: String) throws { try inner.dropStaging(name) }
    func stagingTables() throws -> [(name: String, inUse: Bool)] { try inner.stagingTables() }
    func commit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws { try inner.commit(plan, beforeCommit: beforeCommit) }
    func transaction<T>(_ body: () throws -> T) throws -> T { try inner.transaction(body) }
    func recordedPartitionings(table: String) throws -> [String?] { try inner.recordedPartitionings(table: table) }
    func ledgerEntry(table: String, loadID: String) throws -> LedgerEntry? { try inner.ledgerEntry(table: table, loadID: loadID) }
    func ledger(table: String) throws -> [LedgerEntry] { try inner.ledger(table: table) }
    func fingerprint(table: String, partitionColumn: String?, partition: String?) throws -> Fingerprint {
        try inner.fingerprint(table: table, partitionColumn: partitionColumn, partition: partition)
    }
    func query(_ sql: String, partitionKey: String?, columns: ([(name: String, type: ColumnType?)]) throws -> Void,
               row: ([Value]) throws -> Void) throws {
        try inner.query(sql, partitionKey: partitionKey, columns: columns, row: row)
    }
}

/// A replace writer that calls a hook once a partition has started (inside the transaction).
final class HookedReplaceWriter: PartitionReplaceWriter {
    let inner: any PartitionReplaceWriter
    let onReplace: ((String?) -> Void)?
    init(_ inner: any PartitionReplaceWriter, onReplace: ((String?) -> Void)?) {
        self.inner = inner
        self.onReplace = onReplace
    }
    func replace(partition key: String?) throws {
        try inner.replace(partition: key)
        onReplace?(key)
    }
    func insert(_ row: UnsafeBufferPointer<Value>) throws { try inner.insert(row) }
    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws {
        try inner.commit(ledger: ledger, beforeCommit: beforeCommit)
    }
    func abort() { inner.abort() }
}
