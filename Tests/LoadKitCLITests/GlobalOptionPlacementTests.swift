import Foundation
@testable import LoadKitCLI
import LoadKitTesting
import Testing

/// `--config`, `--warehouse`, `--json` and `--quiet` before the subcommand as well as after it
/// (SPEC.md §3).
@Suite struct GlobalOptionPlacementTests {
    @Test("Leading global options move to just after the subcommand path", arguments: [
        (["--config", "x.yml", "--json", "status", "--table", "t"],
         ["status", "--config", "x.yml", "--json", "--table", "t"]),
        (["--config=x.yml", "--quiet", "backfill", "--table", "t", "--from", "2013-01-01"],
         ["backfill", "--config=x.yml", "--quiet", "--table", "t", "--from", "2013-01-01"]),
        (["--warehouse", "w.db", "runs", "show", "RUN"], ["runs", "show", "--warehouse", "w.db", "RUN"]),
        (["--json", "runs"], ["runs", "--json"]),
        // Between a subcommand and its own subcommand.
        (["runs", "--json", "show", "RUN"], ["runs", "show", "--json", "RUN"]),
        (["runs", "--config", "x.yml", "dismiss", "RUN"], ["runs", "dismiss", "--config", "x.yml", "RUN"]),
        (["--json", "runs", "--failed"], ["runs", "--json", "--failed"]),
        (["--json", "check", "--table", "t", "--", "--odd-name.csv"],
         ["check", "--json", "--table", "t", "--", "--odd-name.csv"]),
        // Nothing before the subcommand: unchanged.
        (["status", "--table", "t", "--config", "x.yml"], ["status", "--table", "t", "--config", "x.yml"]),
        // Not a subcommand: the global options are dropped, so help and typos read as without them.
        (["--config", "x.yml", "help", "backfill"], ["help", "backfill"]),
        (["--json", "--help"], ["--help"]),
        (["--json", "--version"], ["--version"]),
        (["--json", "stauts"], ["stauts"]),
        // A valued option without its value is left for the parser to report.
        (["--config"], ["--config"]),
    ])
    func placed(given: [String], expected: [String]) {
        #expect(GlobalOptions.placed(given, root: LoadKitCommand.self) == expected)
    }

    @Test("--json is seen before a -- only")
    func wantsJSON() {
        #expect(GlobalOptions.wantsJSON(["--json", "status"]))
        #expect(GlobalOptions.wantsJSON(["status", "--table", "t", "--json"]))
        #expect(!GlobalOptions.wantsJSON(["check", "--table", "t", "--", "--json"]))
    }

    @Test("status and backfill with --config (and --json, --quiet) before the subcommand")
    func beforeSubcommand() throws {
        let workspace = try ExampleWorkspace()
        let backfill = try ChildProcess.run(Paths.binary, [
            "--config", workspace.config, "--quiet", "--json",
            "backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03",
        ], currentDirectory: workspace.root)
        #expect(backfill.status == 0, "stderr: \(backfill.stderr)")
        #expect(backfill.stderr == "", "--quiet before the subcommand silences progress")
        let summary = try parseObject(backfill.stdout)
        #expect(summary["status"] as? String == "success")
        #expect(try summaryItems(summary).count == 1 + 3)

        let status = try ChildProcess.run(Paths.binary, [
            "--config=\(workspace.config)", "--json", "status", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-05",
        ], currentDirectory: workspace.directory.path("data"))
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let report = try parseObject(status.stdout)
        #expect(counts(report) == ["loaded": 3, "missing": 2])
    }

    @Test("--warehouse before the subcommand loads into that file; one after the subcommand wins")
    func warehouseBefore() throws {
        let workspace = try ExampleWorkspace()
        let other = workspace.directory.path("other.db")
        let load = try ChildProcess.run(Paths.binary, [
            "--warehouse", other, "--config", workspace.config, "load", "--table", "airlines",
        ], currentDirectory: workspace.root)
        #expect(load.status == 0, "stderr: \(load.stderr)")
        #expect(FileManager.default.fileExists(atPath: other))
        #expect(!FileManager.default.fileExists(atPath: workspace.warehouse))

        // Given twice, the later (after the subcommand) wins.
        let twice = try ChildProcess.run(Paths.binary, [
            "--config", workspace.directory.path("nope.yml"), "fingerprint", "--table", "airlines",
            "--config", workspace.config, "--warehouse", other,
        ], currentDirectory: workspace.root)
        #expect(twice.status == 0, "stderr: \(twice.stderr)")
        #expect(twice.stdout.hasPrefix("airlines: 16 rows, fingerprint "))
    }

    @Test("Help and the version still print with global options before them")
    func helpAndVersion() throws {
        let version = try loadkit(["--json", "--version"])
        #expect(version.status == 0)
        #expect(version.stdout == LoadKitCommand.version + "\n")
        let help = try loadkit(["--config", "x.yml", "help", "backfill"])
        #expect(help.status == 0)
        #expect(help.stdout == (try loadkit(["backfill", "--help"])).stdout)
        let top = try loadkit(["--quiet", "--help"])
        #expect(top.status == 0)
        #expect(top.stdout.hasPrefix("OVERVIEW: "))
    }
}

/// `loadkit help NAME` for a name that is no command is a usage error, not the top-level help.
@Suite struct HelpUnknownCommandTests {
    @Test("help nonexist: exit 64 naming the commands; with --json one error document")
    func unknown() throws {
        let text = try ChildProcess.run(Paths.binary, ["help", "nonexist"])
        #expect(text.status == 64)
        #expect(text.stderr.contains("unknown command 'nonexist'; commands: load, backfill"), "\(text.stderr)")
        #expect(text.stdout.isEmpty)
        let json = try ChildProcess.run(Paths.binary, ["--json", "help", "nope"])
        #expect(json.status == 64)
        let error = try parseObject(json.stdout)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "usage")
        let known = try ChildProcess.run(Paths.binary, ["help", "backfill"])
        #expect(known.status == 0)
        #expect(known.stdout.hasPrefix("OVERVIEW: Load the partitions"))
    }
}
