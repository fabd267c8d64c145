import Foundation
@testable import LoadKitCLI
import LoadKitTesting
import Testing

/// `--help` of every command shows examples; `--version` prints the version.
@Suite struct HelpTests {
    static let commands: [[String]] = [
        ["load"], ["backfill"], ["run"], ["status"], ["runs"], ["runs", "list"], ["runs", "show"], ["runs", "dismiss"], ["rerun"],
        ["verify"], ["fingerprint"], ["gc"], ["check"], ["schedule"], ["schedule", "print-cron"], ["schedule", "print-systemd"], ["worker"],
    ]

    @Test("--help of every command shows an Examples: section with a loadkit command line", arguments: commands)
    func examples(command: [String]) throws {
        let result = try loadkit(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("\nExamples:\n") || result.stdout.contains("\n  Examples:\n"),
                "no 'Examples:' in `loadkit \(command.joined(separator: " ")) --help`")
        #expect(result.stdout.contains("  loadkit \(command[0])"), "no example command line")
        #expect(result.stdout.contains("USAGE: loadkit \(command.joined(separator: " "))"))
        if command != ["runs"] && command != ["schedule"] { #expect(result.stdout.contains("--config <path>")) }
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
        for command in ["load", "backfill", "run", "status", "runs", "rerun", "verify", "fingerprint", "gc", "check", "worker"] {
            #expect(result.stdout.contains("\n  \(command) "), "\(command) is not listed")
        }
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("Exit codes: 0 success, 1 a task failed or input was bad, 64 usage or config error"))
    }

    /// `COLUMNS=80 loadkit <command> --help`.
    static func help(_ command: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build loadkit first",
                     sourceLocation: sourceLocation)
        let result = try ChildProcess.run(Paths.binary, command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0, sourceLocation: sourceLocation)
        return result.stdout
    }

    /// `Fixtures/expected/help-<command words joined by ->.txt`.
    static func goldenPath(_ command: [String]) -> String {
        Paths.packageRoot + "/Fixtures/expected/help-\(command.joined(separator: "-")).txt"
    }

    @Test("COLUMNS=80 --help of every command matches its golden file", arguments: commands)
    func golden(command: [String]) throws {
        let text = try Self.help(command)
        let path = Self.goldenPath(command)
        // LOADKIT_UPDATE_GOLDEN=1 swift test --filter HelpTests rewrites the files.
        if ProcessInfo.processInfo.environment["LOADKIT_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "`COLUMNS=80 loadkit \(command.joined(separator: " ")) --help` differs from \(path)")
    }

    @Test("At 80 columns no help line is longer than 80 or a single orphan word", arguments: [[]] + commands)
    func width(command: [String]) throws {
        for line in try Self.help(command).split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= 80, "too long: \(line)")
            let words = line.split(separator: " ")
            // A lone word is a heading ("Examples:") or an orphan left by wrapping.
            #expect(words.count != 1 || words[0].hasSuffix(":"), "orphan word: '\(line)'")
        }
    }

    @Test("Every option of every command is listed in its --help, and in its usage", arguments: commands)
    func everyOption(command: [String]) throws {
        let dump = try loadkit(["--experimental-dump-help"])
        var node = try #require((try parseObject(dump.stdout))["command"] as? [String: Any])
        for word in command {
            let subcommands = try #require(node["subcommands"] as? [[String: Any]])
            node = try #require(subcommands.first { $0["commandName"] as? String == word })
        }
        let text = try Self.help(command)
        let usage = try #require(text.components(separatedBy: "\n\n").first { $0.hasPrefix("USAGE: ") })
        let shown = (node["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool == true }
        for argument in shown {
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { name -> String? in
                guard let n = name["name"] as? String else { return nil }
                return (name["kind"] as? String == "short" ? "-" : "--") + n
            }
            if names.isEmpty {
                let value = argument["valueName"] as? String ?? ""
                #expect(text.contains("<\(value)>"), "argument <\(value)> is not in the help")
                continue
            }
            #expect(names.contains { text.contains("  \($0)") }, "\(names) is not listed in the help")
            if !names.contains("--help") && !names.contains("--version") {
                let inUsage = names.contains {
                    usage.range(of: NSRegularExpression.escapedPattern(for: $0) + "(?![a-z-])", options: .regularExpression) != nil
                }
                #expect(inUsage, "\(names) is not in \(usage)")
            }
        }
        // The only hidden options are verify's own (its crash steps' child mode).
        let hidden = (node["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool == false }
        #expect(hidden.isEmpty || command == ["verify"])
    }

    @Test("Help examples name a --to: a backfill example never runs up to yesterday",
          arguments: [["backfill"], ["status"], ["run"]])
    func examplesAreBounded(command: [String]) throws {
        let text = try Self.help(command)
        let examples = text.components(separatedBy: "Examples:\n").dropFirst().first?
            .components(separatedBy: "\n\n").first ?? ""
        let lines = examples.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!lines.isEmpty)
        for line in lines where line.hasPrefix("loadkit ") {
            if line.contains("--from") { #expect(line.contains("--to "), "\(line)") }
            // `run --due` is bounded by the schedule, not by the day it runs.
            if command == ["run"] { #expect(line.contains("--partition ") || line.contains("--due"), "\(line)") }
        }
    }

    @Test("--version prints the version the binary was built with")
    func version() throws {
        let result = try loadkit(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == LoadKitCommand.version + "\n")
        #expect(result.stderr == "")
    }
}
