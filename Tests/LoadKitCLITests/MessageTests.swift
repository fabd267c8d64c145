import Foundation
@testable import LoadKitCLI
import LoadKit
import LoadKitTesting
import Testing

/// How the command words things: `1 row` / `2 rows`, `UTC` (never Foundation's `GMT`), and a
/// progress counter that never goes backwards.
@Suite struct MessageTests {
    @Test("Counts agree with their noun", arguments: [(0, "0 rows"), (1, "1 row"), (2, "2 rows"), (27004, "27004 rows")])
    func count(n: Int, text: String) {
        #expect(Count.of(n, "row") == text)
    }

    @Test("One row loaded says 1 row: load, backfill, runs show")
    func oneRow() throws {
        let project = try EventsProject()
        try project.day(1, rows: 1)
        let load = try project.run(["load", "--table", "events", "--partition", "2024-01-01"])
        #expect(load.status == 0, "stderr: \(load.stderr)")
        #expect(load.stdout == "events partition 2024-01-01: loaded 1 row\n")

        try project.day(2, rows: 1)
        let backfill = try project.run(["backfill", "--table", "events", "--from", "2024-01-02", "--to", "2024-01-02"])
        #expect(backfill.status == 0, "stderr: \(backfill.stderr)")
        #expect(backfill.stdout.hasPrefix("backfill events 2024-01-02..2024-01-02: 1 loaded, 0 skipped, 0 failed (1 row) in "),
                "\(backfill.stdout)")
        #expect(backfill.stderr.contains("1/1 done, 1 row ("), "\(backfill.stderr)")
        let again = try project.run(["backfill", "--table", "events", "--from", "2024-01-02", "--to", "2024-01-02"])
        #expect(again.stdout.hasPrefix("backfill events 2024-01-02..2024-01-02: nothing to do: the 1 task is already loaded"),
                "\(again.stdout)")

        let runID = try #require(backfill.stdout.split(separator: "\n").last?.split(separator: " ").dropFirst().first)
        let show = try project.run(["runs", "show", String(runID.dropLast())])
        #expect(show.stdout.contains("events 2024-01-02 attempt 1, 1 row"), "\(show.stdout)")
    }

    @Test("A failed reload over one row says it keeps 1 row; the zone reads UTC")
    func statusWording() throws {
        let project = try EventsProject()
        try project.day(1, rows: 1)
        #expect(try project.run(["load", "--table", "events", "--partition", "2024-01-01"]).status == 0)
        try project.directory.write("data/2024-01-01.csv", "id,ts,v,tag\n1,2024-01-01T10:00:00Z,abc,t\n")
        #expect(try project.run(["load", "--table", "events", "--partition", "2024-01-01"]).status == 1)
        let status = try project.run(["status", "--table", "events"])
        #expect(status.status == 0)
        #expect(status.stdout.hasPrefix("events (day partitions, UTC) 2024-01-01 .. 2024-01-01\n"), "\(status.stdout)")
        #expect(status.stdout.contains("failed 2024-01-01 (keeps 1 row of the load at "), "\(status.stdout)")
        #expect(!status.stdout.contains("GMT"))
    }

    @Test("The progress counter never goes backwards when workers report out of order")
    func progressMonotonic() {
        let lines = Lines()
        let progress = ProgressLine(label: "backfill t", isTerminal: true) { lines.append($0) }
        for done in [1, 3, 2, 5, 4, 6] {
            progress.runProgressed(RunProgress(done: done, total: 6, rows: done * 10, failed: 0, skipped: 0, elapsed: 1))
        }
        let counters = lines.all.compactMap { line -> Int? in
            guard let range = line.range(of: #"\d+/6"#, options: .regularExpression) else { return nil }
            return Int(line[range].dropLast(2))
        }
        #expect(counters == [1, 3, 5, 6])
        #expect(lines.all.last?.hasSuffix("6/6 done, 60 rows (60 rows/s)\n") == true)
    }

    /// Lines written by a progress line, from any thread.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }
}
