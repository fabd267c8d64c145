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

/// kill -9 at random moments of a dynamic load of 120,000 rows over 60 days, 20 times.
@Suite struct RandomCrashTests {
    static let days = 60
    static let rowsPerDay = 2_000
    static let runs = 20

    static let yaml = """
        warehouse: warehouse.db
        tables:
          events:
            source: { path: data/unused.csv }
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

    @Test("Loads killed with SIGKILL at 20 random moments recover, on rerun, to exactly the clean load's state")
    func randomKills() async throws {
        let work = try TemporaryDirectory(prefix: "loadkit-random-crash")
        let big = try work.write("big.csv", Self.bigInput())
        let table = try Self.table
        let arguments = ["--table", "events", "--input", big]

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
        let clock = ContinuousClock()
        var loadDuration = try clock.measure {
            let clean = try reference.load(arguments)
            try #require(clean.status == 0, "\(clean.stderr)")
        }
        let cleanFingerprint = try storedFingerprint(reference.warehouse, table)
        let cleanLedger = try ledgerRows(reference.warehouse, table: "events")
        #expect(cleanFingerprint.rows == Self.days * Self.rowsPerDay + 3)
        #expect(cleanLedger.count == Self.days + 1)
        #expect(cleanLedger.contains { $0.partitionKey == "2013-03-05" && $0.rows == 3 })
        try expectLedgerMatchesData(reference.warehouse, table)

        var killed = 0
        var schedule: [String] = []
        for seed in 1...Self.runs {
            var random = SplitMix64(seed: UInt64(seed))
            // Anywhere in the whole load (and a little after), scaled by the last full load's duration.
            let fraction = Double.random(in: 0..<1.1, using: &random)
            let delay = loadDuration * fraction
            let project = try CLIProject(yaml: Self.yaml)
            try Self.copyWarehouse(from: base.warehouse, into: project.root)

            let child = try project.start(arguments, tag: "run")
            try await Task.sleep(for: delay)
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
        #expect(killed >= 5, "only \(killed) of \(Self.runs) runs were killed: \(schedule)")
    }
}
