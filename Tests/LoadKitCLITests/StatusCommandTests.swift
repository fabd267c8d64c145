import Foundation
import LoadKitTesting
import Testing

/// `loadkit status` as people read it: a month calendar per month, compared with
/// `Fixtures/expected/status-flights-january.txt`.
@Suite struct StatusCommandTests {
    static let fixture = Paths.packageRoot + "/Fixtures/expected/status-flights-january.txt"

    /// January backfilled with 2013-01-07's file broken at line 100 (`dep_delay` = `abc`).
    private func januaryWithFailedDay() throws -> ExampleWorkspace {
        let workspace = try ExampleWorkspace()
        try workspace.corrupt(day: "2013-01-07", line: 100, column: "dep_delay", with: "abc")
        let summary = try workspace.backfillJanuary(status: 1)
        #expect(counts(summary) == ["success": 31, "failed": 1])
        return workspace
    }

    private func expected() throws -> String {
        try String(contentsOfFile: Self.fixture, encoding: .utf8)
    }

    @Test("status after a January backfill with one failed day matches the expected calendar (no colors on a pipe)")
    func januaryCalendar() throws {
        let workspace = try januaryWithFailedDay()
        let result = try workspace.run(["status", "--table", "flights"])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(result.stdout == (try expected()))
        #expect(!result.stdout.contains("\u{1B}"))

        let ranged = try workspace.run(["status", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31"])
        #expect(ranged.stdout == (try expected()))
        let noColor = try workspace.run(["status", "--table", "flights"], environment: ["NO_COLOR": "1"])
        #expect(noColor.status == 0)
        #expect(noColor.stdout == (try expected()))
    }

#if os(Linux)
    @Test("On a terminal the calendar is colored, and NO_COLOR=1 turns the colors off",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script(1) for a pseudo-terminal"))
    func terminalColors() throws {
        let workspace = try januaryWithFailedDay()
        func onTerminal(_ prefix: String) throws -> String {
            let command = "\(prefix) '\(Paths.binary)' status --table flights --config '\(workspace.config)'"
            let result = try ChildProcess.run("/usr/bin/script", ["-qec", command, "/dev/null"], currentDirectory: workspace.root)
            #expect(result.status == 0)
            return result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        }
        let plain = try onTerminal("env NO_COLOR=1")
        #expect(plain == (try expected()))

        let colored = try onTerminal("env -u NO_COLOR")
        #expect(colored.contains(" 7\u{1B}[31m✗\u{1B}[0m "))
        #expect(colored.contains(" 8\u{1B}[32m■\u{1B}[0m "))
        let stripped = colored.replacing(/\x{1B}\[[0-9;]*m/, with: "")
        #expect(stripped == (try expected()))
    }
#endif

    @Test("A range wider than what is loaded draws every month, with the days outside as missing")
    func widerRange() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--quiet"])
        let result = try workspace.run(["status", "--table", "flights", "--from", "2012-12-31", "--to", "2013-02-01"])
        #expect(result.status == 0)
        let text = result.stdout
        #expect(text.hasPrefix("flights (day partitions, America/New_York) 2012-12-31 .. 2013-02-01\n"))
        #expect(text.contains("\nDecember 2012\n Mo  Tu  We  Th  Fr  Sa  Su\n"))
        // 2012-12-31 was a Monday: the last week of December has one day in the range.
        #expect(text.contains("\n31·\n"))
        #expect(text.contains("\n     1■  2■  3·  4·  5·  6·\n"))
        #expect(text.contains("\nFebruary 2013\n Mo  Tu  We  Th  Fr  Sa  Su\n                 1·  2   3\n"))
        #expect(text.hasSuffix("\n2 loaded, 0 failed, 31 missing, 0 stale\n"))
    }

    @Test("A changed source shows as stale (~)")
    func stale() throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-02", "--quiet"])
        try workspace.corrupt(day: "2013-01-02", line: 2, column: "arr_delay", with: "1")
        let result = try workspace.run(["status", "--table", "flights"])
        #expect(result.stdout.contains("\n     1■  2~  3   4   5   6\n"))
        #expect(result.stdout.hasSuffix("\n1 loaded, 0 failed, 0 missing, 1 stale\nstale 2013-01-02 (1 partition): source changed\n"))
    }

    @Test("Before any load, status says there is nothing yet and creates no warehouse")
    func nothingYet() throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(["status", "--table", "flights"])
        #expect(result.status == 0)
        #expect(result.stdout == "flights: no partitions loaded or attempted yet\n")
        #expect(try workspace.writtenFiles() == [])
    }
}
