// CSV parse benchmark (issue 2): typed parse throughput of flights.csv and of a ten-times copy,
// peak RSS of each (streaming means about equal), side by side with the sqlite3 shell's
// `.import --csv` of the same file into an in-memory table, alternating A B, median of N runs.
//
//   swift build -c release --product loadkit-bench
//   .build/release/loadkit-bench [--runs 5] [--flights PATH]
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "parse", arguments.count == 2 {
    try parseChild(arguments[1])
    exit(0)
}
if arguments.first == "make-x10", arguments.count == 3 {
    try writeTenTimes(from: arguments[1], to: arguments[2])
    exit(0)
}

func value(of flag: String) -> String? {
    arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let runs = Int(value(of: "--runs") ?? "5") ?? 5
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let flights = value(of: "--flights")
    ?? packageRoot.appendingPathComponent("../shared/data/nycflights13/flights.csv").standardized.path
guard FileManager.default.fileExists(atPath: flights) else {
    print("flights.csv not found at \(flights); pass --flights PATH")
    exit(2)
}

let work = FileManager.default.temporaryDirectory.appendingPathComponent("loadkit-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
    : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
// The driver stays small: a child spawned with posix_spawn shares the driver's memory until
// exec, and Linux counts that toward the child's peak RSS. Big work happens in children.
let tenTimes = "\(work)/flights-x10.csv"
_ = try runMeasured([me, "make-x10", flights, tenTimes])

struct Series { var seconds: [Double] = []; var peaks: [Int] = [] }
var series: [String: Series] = [:]
let cases: [(name: String, file: String, argv: [String])] = [
    ("loadkit x1", flights, [me, "parse", flights]),
    ("sqlite3 x1", flights, ["sqlite3", ":memory:", ".import --csv \(flights) t", "SELECT count(*) FROM t"]),
    ("loadkit x10", tenTimes, [me, "parse", tenTimes]),
]
var expected: [String: String] = [:]
for round in 0...runs {  // round 0 is the warm-up
    for c in cases {
        let m = try runMeasured(c.argv)
        let out = m.output.trimmingCharacters(in: .whitespacesAndNewlines)
        if let previous = expected[c.name], previous != out { throw BenchError("\(c.name) printed \(out), before \(previous)") }
        expected[c.name] = out
        if round > 0 {
            series[c.name, default: Series()].seconds.append(m.seconds)
            series[c.name, default: Series()].peaks.append(m.peakKiB)
        }
    }
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
func size(_ path: String) -> Double {
    Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
}
print("CSV parse benchmark, \(runs) runs after a warm-up, release build, \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("correctness: loadkit x1 -> \(expected["loadkit x1"]!) (rows, sum(distance)); x10 -> \(expected["loadkit x10"]!); sqlite3 rows -> \(expected["sqlite3 x1"]!)")
print("case          med_s   min_s   max_s    MB/s      rows/s   peak_MiB")
let rowsX1 = 336_776.0
for c in cases {
    let s = series[c.name]!
    let med = median(s.seconds)
    let rows = c.name.hasSuffix("x10") ? rowsX1 * 10 : rowsX1
    let mb = size(c.file) / 1_048_576
    print(String(format: "%-12@ %6.3f  %6.3f  %6.3f  %6.1f  %10.0f   %8.1f", c.name as NSString, med,
                 s.seconds.min()!, s.seconds.max()!, mb / med, rows / med, Double(s.peaks.max()!) / 1024))
}
let x1 = series["loadkit x1"]!, x10 = series["loadkit x10"]!, ref = series["sqlite3 x1"]!
print(String(format: "ratio loadkit/sqlite3 (x1 time): %.2f; peak RSS x10/x1: %.2f",
             median(x1.seconds) / median(ref.seconds), Double(x10.peaks.max()!) / Double(x1.peaks.max()!)))

/// BENCH.md's ten-times file (run in a child, see above): the rows repeated with `year` and `time_hour` moved by 0...9 years.
func writeTenTimes(from source: String, to target: String) throws {
    let text = try String(contentsOfFile: source, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    let header = lines.removeFirst()
    FileManager.default.createFile(atPath: target, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
    out.write(Data((header + "\n").utf8))
    for shift in 0..<10 {
        let year = String(2013 + shift)
        var chunk = ""
        chunk.reserveCapacity(text.utf8.count + 1024)
        for line in lines {
            // year is the first field, time_hour the last; both start with 2013.
            chunk += year
            chunk += line.dropFirst(4).dropLast(20)
            chunk += year
            chunk += line.suffix(16)
            chunk += "\n"
        }
        out.write(Data(chunk.utf8))
    }
    try out.close()
}
