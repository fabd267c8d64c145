import Foundation
@testable import LoadKitCLI
import LoadKit
import LoadKitProject
import LoadKitTesting
import Testing

/// With `--json`, an error that ends a command prints one document on stdout,
/// `{"error": {"code", "message", "file", "line", "column", "key"}}` with the fields known
/// (SPEC.md §3); the exit code and the human message on stderr stay as without `--json`.
@Suite struct JSONErrorTests {
    static let fields: Set = ["code", "message", "file", "line", "column", "key"]

    /// The `error` object of stdout, which must be exactly one JSON document with only it.
    func errorObject(_ result: ChildProcess.Result,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let document = try parseObject(result.stdout, sourceLocation: sourceLocation)
        #expect(Set(document.keys) == ["error"], sourceLocation: sourceLocation)
        let error = try #require(document["error"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(Set(error.keys).isSubset(of: Self.fields), "\(error.keys)", sourceLocation: sourceLocation)
        return error
    }

    @Test("A config error: code config, the reason, and file, line, column and key")
    func configError() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("loadkit.yml", ConfigErrorCommandTests.broken[0].yaml)
        let result = try loadkit(["--json", "status", "--table", "t", "--config", config], in: dir.root)
        #expect(result.status == 64)
        let error = try errorObject(result)
        #expect(error["code"] as? String == "config")
        #expect(error["message"] as? String == "unknown key 'granularty'; allowed keys: column, granularity, from, timezone")
        #expect(error["file"] as? String == config)
        #expect(error["line"] as? Int == 6)
        #expect(error["column"] as? Int == 29)
        #expect(error["key"] as? String == "tables.t.partition")
        // The human message still goes to stderr.
        #expect(result.stderr == "loadkit: error: \(config), \(ConfigErrorCommandTests.broken[0].message)\n")
    }

    @Test("An unknown table: code config, key tables, the declared tables")
    func unknownTable() throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(["backfill", "--table", "nope", "--from", "2013-01-01", "--to", "2013-01-02", "--json"])
        #expect(result.status == 64)
        let error = try errorObject(result)
        #expect(error["code"] as? String == "config")
        #expect(error["message"] as? String == "unknown table 'nope'; declared tables: airlines, flights, daily_delays")
        #expect(error["key"] as? String == "tables")
        #expect(error["file"] as? String == workspace.config)
        #expect(error["line"] == nil && error["column"] == nil)
        #expect(result.stderr.hasPrefix("loadkit: error: \(workspace.config): tables: unknown table 'nope'"))
        #expect(try workspace.writtenFiles() == [])
    }

    @Test("A failed load: the load's error code, file, line and column; exit 1")
    func failedLoad() throws {
        let workspace = try ExampleWorkspace()
        try workspace.corrupt(day: "2013-01-07", line: 304, column: "dep_delay", with: "abc")
        let result = try workspace.run(["load", "--table", "flights", "--partition", "2013-01-07", "--json"])
        #expect(result.status == 1)
        let error = try errorObject(result)
        #expect(error["code"] as? String == "value.invalid")
        #expect(error["message"] as? String == "'abc' is not a real number")
        #expect(error["file"] as? String == "data/flights-2013-01-07.csv")
        #expect(error["line"] as? Int == 304)
        #expect(error["column"] as? String == "dep_delay")
        #expect(error["key"] == nil)
        #expect(result.stderr.contains("loadkit: error: data/flights-2013-01-07.csv, line 304, column dep_delay: 'abc' is not a real number"))
    }

    @Test("A malformed partition key: code partition.key, exit 64")
    func badKey() throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(["--json", "load", "--table", "flights", "--partition", "2013-1-5"])
        #expect(result.status == 64)
        let error = try errorObject(result)
        #expect(error["code"] as? String == "partition.key")
        #expect(error["message"] as? String == "'2013-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)")
    }

    @Test("Flag errors: code usage and ArgumentParser's reason; stderr keeps the usage", arguments: [
        (["backfill", "--table", "flights", "--json"], "Missing expected argument '--from <key>'"),
        (["--json", "status", "--table", "flights", "--form", "2013-01-01"], "Unknown option '--form'. Did you mean '--from'?"),
        (["backfill", "--table", "flights", "--from", "2013-01-01", "--concurrency", "0", "--json"],
         "--concurrency must be at least 1"),
        (["--json", "rerun"], "give a RUN_ID or --failed (one of them)"),
    ])
    func flagErrors(arguments: [String], message: String) throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(arguments)
        #expect(result.status == 64)
        let error = try errorObject(result)
        #expect(error["code"] as? String == "usage")
        #expect(error["message"] as? String == message)
        #expect(result.stderr.hasPrefix("Error: \(message)"), "stderr: \(result.stderr)")
        #expect(try workspace.writtenFiles() == [])
    }

    @Test("A misspelt subcommand after --json: code usage")
    func unknownSubcommand() throws {
        let result = try loadkit(["--json", "--config", "loadkit.yml", "stauts"])
        #expect(result.status == 64)
        let error = try errorObject(result)
        #expect(error["code"] as? String == "usage")
        #expect(error["message"] as? String == "Unexpected argument 'stauts'")
        #expect(result.stderr.hasPrefix("Error: Unexpected argument 'stauts'"))
    }

    @Test("A backfill with a failed partition prints its run summary, not an error document")
    func failedRunKeepsSummary() throws {
        let workspace = try ExampleWorkspace()
        try workspace.corrupt(day: "2013-01-02", line: 5, column: "dep_delay", with: "abc")
        let summary = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-03",
                                          "--quiet"], status: 1)
        #expect(summary["error"] == nil)
        #expect(summary["status"] as? String == "failed")
    }

    @Test("Without --json an error prints nothing on stdout")
    func textMode() throws {
        let workspace = try ExampleWorkspace()
        let result = try workspace.run(["load", "--table", "flight", "--partition", "2013-01-05"])
        #expect(result.status == 64)
        #expect(result.stdout == "")
    }

    @Test("The document of each error type", arguments: [
        (LoadKitError(.invalidValue, "bad", at: .init(file: "f.csv", line: 2, column: "c")) as any Error,
         #"{"error":{"code":"value.invalid","column":"c","file":"f.csv","line":2,"message":"bad"}}"#),
        (LoadKitError(.fieldCount, "too many", at: .init(file: "f.csv", line: 2, field: 4)),
         #"{"error":{"code":"csv.field_count","column":4,"file":"f.csv","line":2,"message":"too many"}}"#),
        (UsageError("no run x"), #"{"error":{"code":"usage","message":"no run x"}}"#),
        (LoadFailure(message: "the load did not finish (interrupted)", runID: "r"),
         #"{"error":{"code":"load.failed","message":"the load did not finish (interrupted)"}}"#),
    ])
    func documents(error: any Error, json: String) throws {
        #expect(try Self.encoded(ExitStatus.document(for: error)) == json)
    }

    @Test("A config error's document has its location; an empty key is left out")
    func configDocument() throws {
        let error = try #require(throws: ConfigError.self) {
            try LoadKitConfig.parse(yaml: "warehouse: w.db\ndefaults:\n  concurrency: 0\ntables: {}\n", file: "a.yml")
        }
        #expect(try Self.encoded(ExitStatus.document(for: error)) == #"{"error":{"code":"config","column":16,"file":"a.yml","#
            + #""key":"defaults.concurrency","line":3,"message":"0 is out of range; allowed: 1...256"}}"#)
        let empty = try #require(throws: ConfigError.self) { try LoadKitConfig.parse(yaml: "", file: "a.yml") }
        #expect(try Self.encoded(ExitStatus.document(for: empty))
            == #"{"error":{"code":"config","file":"a.yml","message":"the config file is empty"}}"#)
    }

    static func encoded(_ document: LoadKitCLI.ExitStatus.Document) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
