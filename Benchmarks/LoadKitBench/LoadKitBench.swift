import ArgumentParser
import Foundation

/// `loadkit-bench`: the options; ``Bench`` runs the workloads.
struct LoadKitBench: ParsableCommand {
    /// A workload of BENCH.md, plus `hash` (fingerprint v1 against v2).
    enum Workload: String, CaseIterable, ExpressibleByArgument {
        case parse, w1, w2, w2batch, w3, w4, w5, hash, w1pg, w2pg, wq, wqflights
    }

    static let configuration = CommandConfiguration(
        commandName: "loadkit-bench",
        abstract: "Run loadkit's benchmarks (../shared/BENCH.md) against the sqlite3 shell.",
        discussion: """
            Each timed workload alternates loadkit with its reference (A B A B) after a warm-up \
            round and reports the median, min and max of --runs rounds, the ratio loadkit / \
            reference, rows/s and peak resident memory (wait4(2)). Build with \
            `swift build -c release` first: the `loadkit` binary beside this one is measured.

            Workloads (all when none is named):
              parse  typed CSV parse of flights.csv vs the shell's .import into :memory:
              w1     load flights.csv into an empty table, 365 daily partitions
              w2     backfill the 365 daily files; then --force and a plain rerun
              w2batch  w2 with `batch: 7` against w2 without it (the effect of batch:)
              w3     runner overhead: 365 partitions x 3 no-op tasks, in µs/task
              w4     w1 on a ten-times file: peak memory against w1's
              w5     verify of one day of the year-sized table vs one load of that day
              hash   fingerprint v2 (MurmurHash3) vs v1 (SHA-256) of flights, rows/s
              w1pg   w1 into PostgreSQL vs psql \\copy (partitions made first)
              w2pg   w2 into PostgreSQL vs psql DELETE + \\copy per day; --force
              wq     the queue: 1,000 no-op tasks, 4 worker threads, ms/task
              wqflights  w2 through the queue with 1, 2, 4 workers vs local
              (w1pg, w2pg, wq, wqflights: a server in LOADKIT_BENCH_POSTGRES_URL or
              LOADKIT_TEST_POSTGRES_URL, else skipped)

            The shell's reference for w1 and w2 is one sqlite3 process: per input file one \
            transaction that imports the CSV into a temp table (.import --csv) and inserts it \
            with INSERT … SELECT NULLIF(col,'NA') into the typed table with the index on the \
            partition column (365 transactions for w2).

            Examples:
              loadkit-bench --runs 5 w1 w5
              loadkit-bench --json hash > hash.json
            """
    )

    @Option(help: "Timed rounds per workload, after one warm-up round.")
    var runs = 5

    @Option(help: ArgumentHelp("The nycflights13 flights.csv (336,776 rows).", valueName: "path"))
    var flights: String?

    @Flag(help: "Print one JSON document with every figure instead of the table.")
    var json = false

    @Argument(help: ArgumentHelp("Workloads to run: parse, w1, w2, w2batch, w3, w4, w5, hash, w1pg, w2pg, wq, wqflights (default: all).",
                                 valueName: "workload"))
    var workloads: [Workload] = []

    mutating func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let flights = self.flights
            ?? packageRoot.appendingPathComponent("../shared/data/nycflights13/flights.csv").standardized.path
        guard FileManager.default.fileExists(atPath: flights) else {
            throw ValidationError("flights.csv not found at \(flights); pass --flights PATH")
        }
        let selected = Set(workloads)
        let chosen = selected.isEmpty ? Workload.allCases : Workload.allCases.filter(selected.contains)
        let bench = try Bench(flights: flights, runs: runs, quiet: json)
        defer { bench.cleanUp() }
        bench.say("loadkit benchmarks: \(runs) runs after a warm-up, alternating with the reference; "
            + "\(ProcessInfo.processInfo.activeProcessorCount) cores; release build")
        bench.say("workload  loadkit_s(med)  reference_s(med)  ratio(min/med/max)  rows/s     peak_MiB(loadkit/ref)")
        for workload in chosen {
            switch workload {
            case .parse: try bench.parse()
            case .w1: try bench.w1()
            case .w2: try bench.w2()
            case .w2batch: try bench.w2batch()
            case .w3: try bench.w3()
            case .w4: try bench.w4()
            case .w5: try bench.w5()
            case .hash: try bench.hash()
            case .w1pg: try bench.w1pg()
            case .w2pg: try bench.w2pg()
            case .wq: try bench.wq()
            case .wqflights: try bench.wqFlights()
            }
        }
        if json {
            let report = BenchReport(runs: runs, cores: ProcessInfo.processInfo.activeProcessorCount, flights: flights,
                                     workloads: chosen.map(\.rawValue), figures: bench.figures, notes: bench.notes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for note in bench.notes { print(note) }
        }
    }
}
