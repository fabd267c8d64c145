import Foundation
import LoadKitTesting
import Testing

/// All of 2013 (336,776 flights): one dynamic load of the whole file and a backfill of 365 daily
/// files give the same partitions with the same fingerprints.
@Suite struct FullYearTests {
    static let sharedData = Paths.packageRoot + "/../shared/data/nycflights13"
    static let flightsCSV = sharedData + "/flights.csv"

    /// Splits `flights.csv` by its `year,month,day` fields into `flights-YYYY-MM-DD.csv` files
    /// in `directory`, each starting with the header. Returns the number of data rows per day.
    static func splitByDay(_ file: String, into directory: String) throws -> [String: Int] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        var chunks: [String: Data] = [:]
        var rows: [String: Int] = [:]
        var header = Data()
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            let bytes = buffer.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let line = Data(bytes[start..<min(end + 1, bytes.count)])
                if start == 0 {
                    header = line
                } else if end > start {
                    // The first three fields: year, month, day.
                    var fields: [Int] = []
                    var value = 0
                    var index = start
                    while fields.count < 3 {
                        let byte = bytes[index]
                        if byte == UInt8(ascii: ",") { fields.append(value); value = 0 } else { value = value * 10 + Int(byte - 48) }
                        index += 1
                    }
                    let key = String(format: "%04d-%02d-%02d", fields[0], fields[1], fields[2])
                    chunks[key, default: Data()].append(line)
                    rows[key, default: 0] += 1
                }
                start = end + 1
            }
        }
        for (key, chunk) in chunks {
            try (header + chunk).write(to: URL(fileURLWithPath: "\(directory)/flights-\(key).csv"))
        }
        return rows
    }

    /// The example config with the daily files in `days/` and the warehouse `warehouse`.
    static func config(in dir: TemporaryDirectory, warehouse: String) throws -> String {
        let example = try String(contentsOfFile: Paths.exampleConfig, encoding: .utf8)
        let text = example
            .replacingOccurrences(of: "warehouse: warehouse.db", with: "warehouse: \(warehouse)")
            .replacingOccurrences(of: "path: data/flights-{date}.csv", with: "path: days/flights-{date}.csv")
        #expect(text != example && text.contains("days/flights-{date}.csv"))
        return try dir.write("\(warehouse).yml", text)
    }

    @Test("A dynamic load of flights.csv and a backfill of 365 daily files give the same fingerprints",
          .enabled(if: FileManager.default.fileExists(atPath: FullYearTests.flightsCSV),
                   "needs ../shared/data (present in CI, absent from a fresh clone)"),
          .timeLimit(.minutes(3)))
    func dynamicEqualsDaily() throws {
        let dir = try TemporaryDirectory(prefix: "loadkit-year")
        try FileManager.default.createDirectory(atPath: dir.path("days"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Paths.example + "/data/airlines.csv", toPath: dir.path("data/airlines.csv"))
        let perDay = try Self.splitByDay(Self.flightsCSV, into: dir.path("days"))
        #expect(perDay.count == 365)
        #expect(perDay.values.reduce(0, +) == 336_776)
        #expect(perDay["2013-01-01"] == 842)

        let dynamicConfig = try Self.config(in: dir, warehouse: "dynamic.db")
        let dailyConfig = try Self.config(in: dir, warehouse: "daily.db")
        // The two loads go to different warehouses: run them side by side.
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let arguments = index == 0
                ? ["load", "--table", "flights", "--input", Self.flightsCSV, "--json", "--config", dynamicConfig]
                : ["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-12-31", "--json", "--quiet",
                   "--config", dailyConfig]
            results.set(index, Result { try loadkit(arguments, in: dir.root) })
        }
        let dynamic = try results.get(0)
        let daily = try results.get(1)
        #expect(dynamic.status == 0, "\(dynamic.stderr)")
        #expect(daily.status == 0, "\(daily.stderr)")

        let load = try parseObject(dynamic.stdout)
        #expect(load["status"] as? String == "loaded")
        #expect(load["rowsWritten"] as? Int == 336_776)
        #expect((load["partitions"] as? [[String: Any]])?.count == 365)
        let backfill = try parseObject(daily.stdout)
        #expect(counts(backfill) == ["success": 366])
        #expect(backfill["rows"] as? Int == 336_776 + 16)

        // Every partition: same rows, same fingerprint, and the rows of its daily file.
        let dynamicLedger = try ledger(dir.path("dynamic.db"), table: "flights")
        let dailyLedger = try ledger(dir.path("daily.db"), table: "flights")
        #expect(dynamicLedger.count == 365)
        #expect(dynamicLedger.keys.sorted() == dailyLedger.keys.sorted())
        #expect(dynamicLedger.keys.sorted() == perDay.keys.sorted())
        for (day, entry) in dailyLedger {
            #expect(dynamicLedger[day]?.fingerprint == entry.fingerprint, "\(day)")
            #expect(dynamicLedger[day]?.rows == entry.rows, "\(day)")
            #expect(entry.rows == perDay[day], "\(day)")
        }
        // The same split of 2013-01-01 as the bundled example file.
        #expect(dailyLedger["2013-01-01"]?.fingerprint == BackfillCommandTests.firstDayFingerprint)

        // Recomputed from the stored rows: a sample of days (both DST changes) and the whole table.
        for day in ["2013-01-01", "2013-03-10", "2013-07-04", "2013-11-03", "2013-12-31"] {
            let a = try parseObject(try loadkit(["fingerprint", "--table", "flights", "--partition", day, "--json",
                                                 "--config", dynamicConfig], in: dir.root).stdout)
            let b = try parseObject(try loadkit(["fingerprint", "--table", "flights", "--partition", day, "--json",
                                                 "--config", dailyConfig], in: dir.root).stdout)
            #expect(a["fingerprint"] as? String == b["fingerprint"] as? String, "\(day)")
            #expect(a["fingerprint"] as? String == dailyLedger[day]?.fingerprint, "\(day)")
            #expect(a["rows"] as? Int == perDay[day], "\(day)")
        }
        let wholeA = try parseObject(try loadkit(["fingerprint", "--table", "flights", "--json", "--config", dynamicConfig],
                                                 in: dir.root).stdout)
        let wholeB = try parseObject(try loadkit(["fingerprint", "--table", "flights", "--json", "--config", dailyConfig],
                                                 in: dir.root).stdout)
        #expect(wholeA["rows"] as? Int == 336_776)
        #expect(wholeB["rows"] as? Int == 336_776)
        #expect(wholeA["fingerprint"] as? String == wholeB["fingerprint"] as? String)
    }

    /// Results of the two concurrent loads.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: Result<ChildProcess.Result, any Error>] = [:]
        func set(_ index: Int, _ value: Result<ChildProcess.Result, any Error>) { lock.withLock { values[index] = value } }
        func get(_ index: Int) throws -> ChildProcess.Result { try lock.withLock { values[index] }!.get() }
    }
}
