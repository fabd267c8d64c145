import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// A deterministic generator (SplitMix64), so a failing kill schedule can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// kill -9 at random moments of a direct replace: a dynamic load of 120,000 rows over 60 days,
/// 20 times, and a static replace of one day of 60,000 rows, 12 times.
@Suite struct RandomCrashTests {
    static let days = 60
    static let rowsPerDay = 2_000

    /// The load under test.
    enum Kind: String, CaseIterable, Sendable {
        /// `--input big.csv`: 60 days, of which 10 had older rows.
        case dynamic
        /// `--partition 2013-01-05`: one day that had older rows, from a 60,000-row file.
        case staticPartition

        var runs: Int { self == .dynamic ? 20 : 12 }
    }

    static let yaml = """
        warehouse: warehouse.db
        tables:
          events:
            source: { path: "data/events-{date}.csv" }
            columns: { id: integer, ts: timestamp, v: real }
            partition: { column: event_date, granularity: day, from: ts, timezone: America/New_York }
            write: replace

        """

    static var table: TargetTable {
        get throws { try EventsFixture().table() }
    }

    /// `rowsPerDay` rows on each local day of 2013-01-01 … 2013-03-01 (all EST, UTC-5), as CSV.
    static func bigInput() -> String {
        var text = "id,ts,v\n"
        text.reserveCapacity(days * rowsPerDay * 40)
        var prefixes: [Int64: String] = [:]
        let first = UTCText.seconds("2013-01-01T05:00:00Z")
        var id = 0
        for day in 0..<days {
            for k in 0..<rowsPerDay {
                let t = first + Int64(day) * 86_400 + Int64(k) * 43
                let utcDay = t / 86_400
                let prefix = prefixes[utcDay] ?? String(UTCText.format(utcDay * 86_400).prefix(11))
                prefixes[utcDay] = prefix
                let s = Int(t % 86_400)
                func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
                text += "\(id),\(prefix)\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))Z,\(Double(id) / 8)\n"
                id += 1
            }
        }
        return text
    }

    /// Copies a warehouse (and its WAL, if one is left) into `directory`.
    static func copyWarehouse(from source: String, into directory: String) throws {
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: directory + "/warehouse.db" + suffix)
        }
    }

    /// 60,000 rows on the local day 2013-01-05 (EST), as CSV.
    static func dayInput() -> String {
        let start = UTCText.seconds("2013-01-05T05:00:00Z")
        return eventsCSV(eventRows(from: start, to: start + 86_400, count: 60_000, firstID: 0, offset: 0.25))
    }

    @Test("Direct replaces killed with SIGKILL at random moments recover, on rerun, to exactly the clean load's state",
          arguments: Kind.allCases)
    func randomKills(_ kind: Kind) throws {
        let work = try TemporaryDirectory(prefix: "loadkit-random-crash")
        let big = try work.write("big.csv", kind == .dynamic ? Self.bigInput() : Self.dayInput())
        let table = try Self.table
        let arguments = kind == .dynamic ? ["--table", "events", "--input", big]
            : ["--table", "events", "--partition", "2013-01-05"]
        /// Puts the static load's source in place in a project.
        func prepare(_ project: CLIProject) throws {
            if kind == .staticPartition {
                try FileManager.default.copyItem(atPath: big, toPath: project.dir.path("data/events-2013-01-05.csv"))
            }
        }

        // The state before every run: older rows on ten of the days and on a day outside the input.
        let base = try CLIProject(yaml: Self.yaml)
        var old: [EventRow] = []
        for day in Array(0..<10) + [63] {
            let start = UTCText.seconds("2013-01-01T05:00:00Z") + Int64(day) * 86_400
            old += eventRows(from: start, to: start + 86_400, count: 3, firstID: 1_000_000 + day * 10, offset: -1)
        }
        try base.write("data/old.csv", eventsCSV(old))
        let setup = try base.load(["--table", "events", "--input", "data/old.csv"])
        try #require(setup.status == 0, "\(setup.stderr)")
        let oldFingerprint = try storedFingerprint(base.warehouse, table)
        let oldLedger = try ledgerRows(base.warehouse, table: "events")
        #expect(oldFingerprint.rows == 33 && oldLedger.count == 11)

        // The clean single load, timed.
        let reference = try CLIProject(yaml: Self.yaml)
        try Self.copyWarehouse(from: base.warehouse, into: reference.root)
        try prepare(reference)
        let clock = ContinuousClock()
        var loadDuration = try clock.measure {
            let clean = try reference.load(arguments)
            try #require(clean.status == 0, "\(clean.stderr)")
        }
        let cleanFingerprint = try storedFingerprint(reference.warehouse, table)
        let cleanLedger = try ledgerRows(reference.warehouse, table: "events")
        switch kind {
        case .dynamic:
            #expect(cleanFingerprint.rows == Self.days * Self.rowsPerDay + 3)
            #expect(cleanLedger.count == Self.days + 1)
            #expect(cleanLedger.contains { $0.partitionKey == "2013-03-05" && $0.rows == 3 })
        case .staticPartition:
            #expect(cleanFingerprint.rows == 60_000 + 30)
            #expect(cleanLedger.count == 11)
            #expect(cleanLedger.contains { $0.partitionKey == "2013-01-05" && $0.rows == 60_000 })
        }
        try expectLedgerMatchesData(reference.warehouse, table)

        var killed = 0
        var schedule: [String] = []
        for seed in 1...kind.runs {
            var random = SplitMix64(seed: UInt64(seed))
            // Anywhere in the whole load (and a little after), scaled by the last full load's duration.
            let fraction = Double.random(in: 0..<1.1, using: &random)
            let delay = loadDuration * fraction
            let project = try CLIProject(yaml: Self.yaml)
            try Self.copyWarehouse(from: base.warehouse, into: project.root)
            try prepare(project)

            let child = try project.start(arguments, tag: "run")
            // The calling thread sleeps (not `Task.sleep`): a task's wake-up waits for a free
            // thread of Swift's cooperative pool, which the suite's other, synchronous tests keep
            // busy on 2 cores, so a 0.1 s delay became seconds and the load ended before its kill.
            let (seconds, attoseconds) = delay.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            child.kill()
            let ended = child.wait()
            let wasKilled = ended.wasSignalled && ended.status == SIGKILL
            if wasKilled { killed += 1 } else {
                #expect(ended.status == 0, "seed \(seed): \(ended.stderr)")
            }

            // Atomic: right after the kill the table and ledger are entirely old or entirely new.
            let between = try storedFingerprint(project.warehouse, table)
            let ledgerBetween = try ledgerRows(project.warehouse, table: "events")
            schedule.append("seed \(seed): \(wasKilled ? "killed" : "finished") after \(delay), "
                + (between == oldFingerprint ? "old state" : between == cleanFingerprint ? "new state" : "MIXED state"))
            #expect((between == oldFingerprint && ledgerBetween == oldLedger)
                        || (between == cleanFingerprint && ledgerBetween == cleanLedger),
                    "seed \(seed), killed after \(delay): a state that is neither the old nor the new one (\(between))")
            try expectLedgerMatchesData(project.warehouse, table)

            let rerunStart = clock.now
            let rerun = try project.load(arguments)
            loadDuration = clock.now - rerunStart
            #expect(rerun.status == 0, "seed \(seed): \(rerun.stderr)")
            #expect(try storedFingerprint(project.warehouse, table) == cleanFingerprint, "seed \(seed)")
            #expect(try ledgerRows(project.warehouse, table: "events") == cleanLedger, "seed \(seed)")
            #expect(try stagingLeftovers(project.warehouse) == [], "seed \(seed)")
        }
        // Most delays fall inside a load; a schedule that never killed anything would test nothing.
        #expect(killed >= kind.runs / 4, "only \(killed) of \(kind.runs) runs were killed: \(schedule)")
    }
}
