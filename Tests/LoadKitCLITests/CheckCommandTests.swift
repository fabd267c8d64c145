import Foundation
import LoadKitTesting
import Testing

@Suite struct CheckCommandTests {
    private var januaryFiles: [String] {
        (1...31).map { String(format: "%@/data/flights-2013-01-%02d.csv", Paths.example, $0) }
    }

    @Test("check reads the 31 bundled January files into 27,004 typed rows")
    func example() throws {
        let result = try loadkit(["check", "--config", Paths.exampleConfig, "--table", "flights"] + januaryFiles)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 32)
        #expect(lines.first == "\(Paths.example)/data/flights-2013-01-01.csv: 842 rows")
        #expect(lines.last == "flights: 27004 typed rows in 31 files, all valid")
    }

    @Test("check --json gives the table, per-file counts and ok")
    func json() throws {
        let result = try loadkit(["check", "--json", "--config", Paths.exampleConfig, "--table", "flights",
                                  januaryFiles[0], januaryFiles[30]])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["table"] as? String == "flights")
        #expect(object["rows"] as? Int == 842 + 928)
        #expect(object["ok"] as? Bool == true)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["rows"] as? Int } == [842, 928])
        #expect(files.allSatisfy { $0["error"] == nil })
    }

    @Test("An unpartitioned table with no files checks its own source")
    func ownSource() throws {
        let result = try loadkit(["check", "--config", "loadkit.yml", "--table", "airlines"], in: Paths.example)
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("airlines: 16 typed rows in 1 file, all valid\n"))
    }

    @Test("A bad value fails its file with line and column, exit 1, other files still counted")
    func badValue() throws {
        let dir = try TemporaryDirectory()
        var lines = try String(contentsOfFile: januaryFiles[0], encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        // Line 700 (the header is line 1): dep_delay is the sixth field.
        var fields = lines[699].split(separator: ",", omittingEmptySubsequences: false)
        fields[5] = "abc"
        lines[699] = fields.joined(separator: ",")[...]
        let bad = try dir.write("bad.csv", lines.joined(separator: "\n"))
        let result = try loadkit(["check", "--config", Paths.exampleConfig, "--table", "flights", bad, januaryFiles[1]])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(bad): FAILED after 698 rows: \(bad), line 700, column dep_delay: 'abc' is not a real number\n"))
        #expect(result.stdout.hasSuffix("flights: 1641 typed rows in 2 files, 1 failed\n"))
    }

    @Test("Usage and config errors exit 64 with the reason", arguments: [
        (["check", "--table", "nope"], "loadkit: error: \(Paths.exampleConfig): tables: unknown table 'nope'; declared tables: airlines, flights, daily_delays\n"),
        (["check", "--table", "daily_delays"], "loadkit: error: table 'daily_delays' is a SQL transform; it has no input files to check\n"),
        (["check", "--table", "flights"], "loadkit: error: table 'flights' is partitioned: name the files to check\n"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let result = try loadkit(arguments + ["--config", Paths.exampleConfig])
        #expect(result.status == 64)
        #expect(result.stderr == message)
    }

    @Test("An unknown flag is a usage error (64)")
    func unknownFlag() throws {
        let result = try loadkit(["check", "--table", "flights", "--tabel", "x"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Unknown option '--tabel'"))
    }

    @Test("--version prints the version")
    func version() throws {
        let result = try loadkit(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }
}
