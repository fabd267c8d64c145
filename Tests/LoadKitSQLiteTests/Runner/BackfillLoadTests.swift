import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Backfills of real loads: `RunTask.load` over daily CSV files into a SQLite warehouse.
@Suite struct BackfillLoadTests {
    static let keys = (1...5).map { RunnerEventsWarehouse.key($0) }

    /// A warehouse with days 1–5 written and backfilled once.
    static func loaded() throws -> (RunnerEventsWarehouse, RunSummary, [RunnerLedgerRow]) {
        let warehouse = try RunnerEventsWarehouse()
        try warehouse.writeDays(1...5)
        let summary = try backfill(warehouse)
        return (warehouse, summary, try warehouse.ledger())
    }

    static func backfill(_ warehouse: RunnerEventsWarehouse, force: Bool = false) throws -> RunSummary {
        let runner = try warehouse.runner([warehouse.loadTask()], force: force)
        return try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 5)),
                              command: "backfill", arguments: ["--table", "events"])
    }

    @Test("A backfill loads every partition once, and records the run and each attempt")
    func loadsEverything() throws {
        let (warehouse, summary, ledger) = try Self.loaded()
        #expect(summary.status == .success)
        #expect(summary.items.count == 5)
        #expect(summary.count(.success) == 5)
        #expect(summary.rows == 15)
        #expect(summary.notStarted == 0)
        #expect(ledger.map(\.partition) == Self.keys)
        #expect(ledger.allSatisfy { $0.rows == 3 && $0.runID == summary.runID })
        #expect(try warehouse.count("SELECT count(*) FROM events") == 15)
        #expect(try warehouse.count("SELECT count(DISTINCT id) FROM events") == 15)
        for day in 1...5 {
            #expect(try warehouse.count("SELECT count(*) FROM events WHERE event_date = '\(RunnerEventsWarehouse.key(day))' AND id / 100 = \(day)") == 3)
        }
        let attempts = try warehouse.log().attempts(runID: summary.runID)
        #expect(attempts.compactMap(\.partitionKey).sorted() == Self.keys)
        #expect(attempts.allSatisfy { $0.status == .success && $0.attempt == 1 && $0.rows == 3 && $0.table == "events" })
        let run = try #require(try warehouse.log().run(summary.runID))
        #expect(run.status == .success)
        #expect(run.command == "backfill")
        #expect(run.arguments == ["--table", "events"])
        #expect(run.finishedAt != nil)
    }

    @Test("A second backfill skips every partition and rewrites nothing")
    func secondSkips() throws {
        let (warehouse, first, before) = try Self.loaded()
        let second = try Self.backfill(warehouse)
        #expect(second.runID != first.runID)
        #expect(second.status == .success)
        #expect(second.items.count == 5)
        #expect(second.items.allSatisfy { $0.status == .skipped && $0.rows == 0 })
        #expect(second.rows == 0)
        #expect(try warehouse.ledger() == before)
        let attempts = try warehouse.log().attempts(runID: second.runID)
        #expect(attempts.count == 5)
        #expect(attempts.allSatisfy { $0.status == .skipped && $0.error == "already loaded from an unchanged source" })
        #expect(try warehouse.count("SELECT count(*) FROM events") == 15)
    }

    @Test("New content in one day's file reloads exactly that partition")
    func changedSourceReloads() throws {
        let (warehouse, _, before) = try Self.loaded()
        try warehouse.writeDay(3, RunnerEventsWarehouse.csv(day: 3, count: 4))
        let again = try Self.backfill(warehouse)
        #expect(again.status == .success)
        #expect(runnerStatuses(again) == Dictionary(uniqueKeysWithValues: Self.keys.map {
            ("events \($0)", $0 == "2024-01-03" ? AttemptStatus.success : .skipped)
        }))
        let after = try warehouse.ledger()
        #expect(after.filter { $0.partition != "2024-01-03" } == before.filter { $0.partition != "2024-01-03" })
        let day3 = try #require(after.first { $0.partition == "2024-01-03" })
        let old3 = try #require(before.first { $0.partition == "2024-01-03" })
        #expect(day3.runID == again.runID)
        #expect(day3.rows == 4)
        #expect(day3.sourceFingerprint != old3.sourceFingerprint)
        #expect(day3.fingerprint != old3.fingerprint)
        #expect(try warehouse.count("SELECT count(*) FROM events WHERE event_date = '2024-01-03'") == 4)
        #expect(try warehouse.count("SELECT count(*) FROM events") == 16)
    }

    @Test("Rewriting a file with the same content (a touch) is still skipped")
    func touchedSameContentSkips() throws {
        let (warehouse, _, before) = try Self.loaded()
        let path = try warehouse.writeDay(2)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: path)
        let again = try Self.backfill(warehouse)
        #expect(again.items.allSatisfy { $0.status == .skipped })
        #expect(try warehouse.ledger() == before)
    }

    @Test("force reloads every partition and ends with the same fingerprints")
    func forceReloadsAll() throws {
        let (warehouse, first, before) = try Self.loaded()
        let forced = try Self.backfill(warehouse, force: true)
        #expect(forced.status == .success)
        #expect(forced.items.count == 5)
        #expect(forced.items.allSatisfy { $0.status == .success && $0.rows == 3 })
        let after = try warehouse.ledger()
        #expect(after.map(\.partition) == before.map(\.partition))
        #expect(after.map(\.fingerprint) == before.map(\.fingerprint))
        #expect(after.map(\.sourceFingerprint) == before.map(\.sourceFingerprint))
        #expect(after.map(\.rows) == before.map(\.rows))
        #expect(after.allSatisfy { $0.runID == forced.runID && $0.runID != first.runID })
        #expect(try warehouse.count("SELECT count(*) FROM events") == 15)
    }

    @Test("A missing source file fails its partition only, with the path in the error, not retried")
    func missingSource() throws {
        let warehouse = try RunnerEventsWarehouse()
        try warehouse.writeDays(1...2)
        let sleeper = RunnerRecordingSleeper()
        let runner = try warehouse.runner([warehouse.loadTask(retry: RetryPolicy(attempts: 3))], sleeper: sleeper)
        let summary = try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 3)),
                                     command: "backfill", arguments: [])
        #expect(summary.status == .failed)
        #expect(runnerStatuses(summary) == ["events 2024-01-01": .success, "events 2024-01-02": .success,
                                            "events 2024-01-03": .failed])
        let failed = try #require(summary.items.first { $0.status == .failed })
        #expect(failed.attempts == 1)
        #expect(failed.message == "source file not found: \(warehouse.root)/data/events-2024-01-03.csv")
        #expect(sleeper.durations.isEmpty)
    }

    @Test("A changed source reloads its partition and that partition's transform; every other item is skipped")
    func changedSourceReloadsTransform() throws {
        let warehouse = try RunnerEventsWarehouse()
        try warehouse.writeDays(1...4)
        func backfill() throws -> RunSummary {
            let runner = try warehouse.runner([warehouse.loadTask(), warehouse.dailyTask()])
            return try runner.run(RunPlan(graph: runner.graph, tasks: ["daily"], partitions: try warehouse.days(1, 4)),
                                  command: "backfill", arguments: [])
        }
        let first = try backfill()
        #expect(first.items.count == 8)
        #expect(first.items.allSatisfy { $0.status == .success })
        let dailyBefore = try warehouse.ledger("daily")
        let second = try backfill()
        #expect(second.items.allSatisfy { $0.status == .skipped })
        #expect(try warehouse.ledger("daily") == dailyBefore)

        try warehouse.writeDay(2, RunnerEventsWarehouse.csv(day: 2, count: 5))
        let third = try backfill()
        var expected: [String: AttemptStatus] = [:]
        for day in 1...4 {
            let key = RunnerEventsWarehouse.key(day)
            expected["events \(key)"] = day == 2 ? .success : .skipped
            expected["daily \(key)"] = day == 2 ? .success : .skipped
        }
        #expect(runnerStatuses(third) == expected)
        #expect(try warehouse.count("SELECT n FROM daily WHERE event_date = '2024-01-02'") == 5)
        #expect(try warehouse.ledger("daily").filter { $0.partition != "2024-01-02" }
            == dailyBefore.filter { $0.partition != "2024-01-02" })
    }

    enum FileKind: String, CaseIterable, Sendable {
        case csv, gzip, jsonl
    }

    @Test("Unchanged sources are skipped whatever their format; changed ones reload", arguments: FileKind.allCases)
    func skipByFormat(_ kind: FileKind) throws {
        let warehouse = try RunnerEventsWarehouse()
        let ext = [FileKind.csv: "csv", .gzip: "csv.gz", .jsonl: "jsonl"][kind]!
        func write(_ day: Int, count: Int = 3) throws {
            let name = "data/events-\(RunnerEventsWarehouse.key(day)).\(ext)"
            switch kind {
            case .csv:
                try warehouse.dir.write(name, RunnerEventsWarehouse.csv(day: day, count: count))
            case .jsonl:
                let lines = (0..<count).map { i in
                    "{\"id\": \(day * 100 + i), \"ts\": \"\(RunnerEventsWarehouse.key(day))T0\(i):30:00Z\", \"v\": \(Double(i) + 0.5)}\n"
                }
                try warehouse.dir.write(name, lines.joined())
            case .gzip:
                // gzip records the input's name and time: a re-compression of the same content
                // makes different bytes.
                let plain = try warehouse.dir.write("plain-\(day).csv", RunnerEventsWarehouse.csv(day: day, count: count))
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double.random(in: 1e9...2e9))],
                                                      ofItemAtPath: plain)
                let zipped = try ChildProcess.run("/bin/sh", ["-c", "gzip -c \"$0\" > \"$1\"", plain, warehouse.dir.path(name)])
                #expect(zipped.status == 0, "\(zipped.stderr)")
            }
        }
        for day in 1...3 { try write(day) }
        let task = RunTask.load(warehouse.table,
                                source: SourceTemplate(path: warehouse.root + "/data/events-{date}.\(ext)",
                                                       options: SourceOptions(timeZone: RunnerEventsWarehouse.utc),
                                                       baseDirectory: warehouse.root),
                                retry: RetryPolicy(attempts: 1))
        func backfill() throws -> RunSummary {
            let runner = try warehouse.runner([task])
            return try runner.run(RunPlan(graph: runner.graph, tasks: ["events"], partitions: try warehouse.days(1, 3)),
                                  command: "backfill", arguments: [])
        }
        let first = try backfill()
        #expect(first.items.map(\.status) == [.success, .success, .success], "\(first.items.map(\.message))")
        let before = try warehouse.ledger()

        let gzipBefore = kind == .gzip ? try Data(contentsOf: URL(fileURLWithPath: warehouse.dir.path("data/events-2024-01-01.csv.gz"))) : nil
        try write(1)  // the same content, written again
        if let gzipBefore {
            #expect(try Data(contentsOf: URL(fileURLWithPath: warehouse.dir.path("data/events-2024-01-01.csv.gz"))) != gzipBefore)
        }
        let second = try backfill()
        #expect(second.items.map(\.status) == [.skipped, .skipped, .skipped])
        #expect(try warehouse.ledger() == before)

        try write(3, count: 2)
        let third = try backfill()
        #expect(runnerStatuses(third) == ["events 2024-01-01": .skipped, "events 2024-01-02": .skipped,
                                          "events 2024-01-03": .success])
        #expect(try warehouse.count("SELECT count(*) FROM events") == 8)
    }
}
