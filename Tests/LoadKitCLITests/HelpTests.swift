import Foundation
@testable import LoadKitCLI
import LoadKitTesting
import Testing

/// `--help` of every command shows examples; `--version` prints the version.
@Suite struct HelpTests {
    static let commands: [[String]] = [
        ["load"], ["backfill"], ["run"], ["status"], ["runs"], ["runs", "list"], ["runs", "show"], ["rerun"],
        ["verify"], ["fingerprint"], ["gc"], ["check"],
    ]

    @Test("--help of every command shows an Examples: section with a loadkit command line", arguments: commands)
    func examples(command: [String]) throws {
        let result = try loadkit(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("\nExamples:\n") || result.stdout.contains("\n  Examples:\n"),
                "no 'Examples:' in `loadkit \(command.joined(separator: " ")) --help`")
        #expect(result.stdout.contains("  loadkit \(command[0])"), "no example command line")
        #expect(result.stdout.contains("USAGE: loadkit \(command.joined(separator: " "))"))
        if command != ["runs"] { #expect(result.stdout.contains("--config <path>")) }
    }

    @Test("`loadkit help CMD` prints the same help as `loadkit CMD --help`", arguments: [["backfill"], ["runs", "show"]])
    func helpSubcommand(command: [String]) throws {
        let viaFlag = try loadkit(command + ["--help"])
        let viaHelp = try loadkit(["help"] + command)
        #expect(viaHelp.status == 0)
        #expect(viaHelp.stdout == viaFlag.stdout)
    }

    @Test("The top-level help lists every command and the exit codes")
    func topLevel() throws {
        let result = try loadkit(["--help"])
        #expect(result.status == 0)
        for command in ["load", "backfill", "run", "status", "runs", "rerun", "verify", "fingerprint", "gc", "check"] {
            #expect(result.stdout.contains("\n  \(command) "), "\(command) is not listed")
        }
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("Exit codes: 0 success, 1 a task failed or input was bad, 64 usage or config error."))
    }

    @Test("--version prints the version the binary was built with")
    func version() throws {
        let result = try loadkit(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == LoadKitCommand.version + "\n")
        #expect(result.stderr == "")
    }
}
