// The benchmark runner (../shared/BENCH.md): every figure is a ratio against the sqlite3 shell
// measured in the same run, alternating A B A B, median of N runs after a warm-up, min and max
// shown, peak RSS from wait4(2). Big work happens in child processes so the driver stays small.
//
//   swift build -c release && .build/release/loadkit-bench [--runs 5] [--flights PATH] [parse] [w1] … [w5]
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "child-parse": try parseChild(arguments[1]); exit(0)
case "child-make-x10": try writeTenTimes(from: arguments[1], to: arguments[2]); exit(0)
case "child-split-days": try splitDays(from: arguments[1], into: arguments[2]); exit(0)
case "child-w3": try runnerChild(warehouse: arguments[1]); exit(0)
default: break
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
let all = ["parse", "w1", "w2", "w3", "w4", "w5"]
let selected = Set(arguments.filter { all.contains($0) })
let workloads = selected.isEmpty ? all : all.filter(selected.contains)

let bench = try Bench(flights: flights, runs: runs)
defer { bench.cleanUp() }
print("loadkit benchmarks: \(runs) runs after a warm-up, alternating with the sqlite3 shell; "
    + "\(ProcessInfo.processInfo.activeProcessorCount) cores; release build")
print("workload  loadkit_s(med)  reference_s(med)  ratio(min/med/max)  rows/s     peak_MiB(loadkit/ref)")
for workload in workloads {
    switch workload {
    case "parse": try bench.parse()
    case "w1": try bench.w1()
    case "w2": try bench.w2()
    case "w3": try bench.w3()
    case "w4": try bench.w4()
    default: try bench.w5()
    }
}
for note in bench.notes { print(note) }
