// The benchmark runner (../shared/BENCH.md): every figure is a ratio against a reference
// measured in the same run, alternating A B A B, median of N runs after a warm-up, min and max
// shown, peak RSS from wait4(2). Big work happens in child processes so the driver stays small.
//
//   swift build -c release && .build/release/loadkit-bench [--runs 5] [--flights PATH] [--json] [WORKLOAD …]
//
// The driver runs itself as those children (`loadkit-bench child-… ARGS`): they are dispatched
// here, before the options are parsed.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "child-parse": try parseChild(arguments[1]); exit(0)
case "child-make-x10": try writeTenTimes(from: arguments[1], to: arguments[2]); exit(0)
case "child-split-days": try splitDays(from: arguments[1], into: arguments[2]); exit(0)
case "child-w3": try runnerChild(warehouse: arguments[1]); exit(0)
case "child-reader": try readerChild(url: arguments[1], partition: arguments[2], stop: arguments[3]); exit(0)
case "child-wq": try queueChild(url: arguments[1], history: Int(arguments[2])!); exit(0)
case "child-hash": try hashChild(flights: arguments[1], warehouse: arguments[2], runs: Int(arguments[3])!); exit(0)
default: LoadKitBench.main()
}
