#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One child process run: wall time, peak resident memory and what it printed.
struct Measurement {
    var seconds: Double
    var peakKiB: Int
    var output: String
}

/// Runs `argv` as a child with posix_spawn, waits with wait4(2) and reads its rusage, so the
/// child's own peak RSS ("Maximum resident set size") is measured without /usr/bin/time.
func runMeasured(_ argv: [String]) throws -> Measurement {
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).out").path
    defer { unlink(outPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let start = DispatchTime.now()
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cArgs, environ)
    guard rc == 0 else { throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    // A normal exit has the code in bits 8-15 of the wait status; a signal in the low 7 bits.
    guard status == 0 else {
        throw BenchError("\(argv.joined(separator: " ")) ended with exit code \((status >> 8) & 0xFF), signal \(status & 0x7F): \(output)")
    }
    return Measurement(seconds: seconds, peakKiB: usage.ru_maxrss, output: output)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Median, min and max of a series.
struct Stats: Codable, Equatable {
    var median: Double
    var min: Double
    var max: Double

    /// The statistics of `values` (the median of an even count is the upper middle value).
    init(_ values: [Double]) {
        let sorted = values.sorted()
        median = sorted[sorted.count / 2]
        min = sorted.first!
        max = sorted.last!
    }
}

/// One row of the report: a workload's figures. Times in seconds, memory in MiB.
struct Figure: Codable {
    /// `W1`, `W2force`, `hash-scan`, …
    var workload: String
    /// loadkit's wall time per round.
    var loadkitSeconds: Stats?
    /// The reference's wall time per round, measured alternately in the same run.
    var referenceSeconds: Stats?
    /// loadkit / reference, per round.
    var ratio: Stats?
    /// Rows per second at loadkit's median time.
    var rowsPerSecond: Double?
    /// loadkit's peak resident memory (the largest of its rounds).
    var peakMiB: Double?
    /// The reference's peak resident memory.
    var referencePeakMiB: Double?
    /// A figure of another unit (W3: µs per task; W4: peak ratio to W1; hash: rows/s).
    var value: Stats?
    /// The unit of `value`.
    var unit: String?
    /// What the reference is.
    var reference: String?
}

/// What `--json` prints.
struct BenchReport: Codable {
    var runs: Int
    var cores: Int
    var flights: String
    var workloads: [String]
    var figures: [Figure]
    var notes: [String]
}
