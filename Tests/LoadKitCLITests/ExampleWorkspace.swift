import Foundation
import LoadKitTesting
import Testing

/// A private copy of `Examples/flights` (its `loadkit.yml` and `data/`) in a temporary
/// directory, so that process-level tests run in parallel and never write into `Examples/`.
///
/// Commands run with the workspace as their working directory and `--config <root>/loadkit.yml`
/// appended, so the warehouse is `<root>/warehouse.db` and error messages name the input files
/// relative to the config folder (`data/flights-2013-01-07.csv`).
///
/// ```swift
/// let workspace = try ExampleWorkspace()
/// let summary = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31"])
/// ```
struct ExampleWorkspace {
    let directory: TemporaryDirectory

    /// The workspace folder (absolute).
    var root: String { directory.root }
    /// `<root>/loadkit.yml`, the copied example config.
    var config: String { directory.path("loadkit.yml") }
    /// `<root>/warehouse.db`, where the example config loads into.
    var warehouse: String { directory.path("warehouse.db") }

    /// The 31 partition keys of January 2013, `2013-01-01` … `2013-01-31`.
    static let januaryDays = (1...31).map { String(format: "2013-01-%02d", $0) }

    /// Copies the example config and its data files into a fresh temporary directory.
    /// - Throws: the file system's error.
    init() throws {
        directory = try TemporaryDirectory(prefix: "loadkit-cli")
        let files = FileManager.default
        try files.copyItem(atPath: Paths.exampleConfig, toPath: config)
        try files.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        for name in try files.contentsOfDirectory(atPath: Paths.example + "/data") where name.hasSuffix(".csv") {
            try files.copyItem(atPath: "\(Paths.example)/data/\(name)", toPath: directory.path("data/\(name)"))
        }
    }

    /// The copied daily source file of `day` (`2013-01-07`), absolute.
    func dayFile(_ day: String) -> String { directory.path("data/flights-\(day).csv") }

    /// The data rows of `day`'s original example file (its lines minus the header).
    static func exampleRows(_ day: String) throws -> Int {
        let text = try String(contentsOfFile: "\(Paths.example)/data/flights-\(day).csv", encoding: .utf8)
        return text.split(separator: "\n").count - 1
    }

    /// Runs `loadkit arguments --config <root>/loadkit.yml` in the workspace folder.
    /// - Parameter environment: variables added to the child's environment.
    func run(_ arguments: [String], environment: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary),
                     "loadkit binary not found at \(Paths.binary); run `swift build` first",
                     sourceLocation: sourceLocation)
        return try ChildProcess.run(Paths.binary, arguments + ["--config", config], environment: environment,
                                    currentDirectory: root)
    }

    /// Runs `loadkit arguments --json --config …`, expects exit `status`, and parses stdout as
    /// one JSON object.
    func json(_ arguments: [String], status: Int32 = 0,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try run(arguments + ["--json"], sourceLocation: sourceLocation)
        #expect(result.status == status, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        return try parseObject(result.stdout, sourceLocation: sourceLocation)
    }

    /// `loadkit backfill --table flights --from 2013-01-01 --to 2013-01-31 --json`, parsed.
    func backfillJanuary(_ extra: [String] = [], status: Int32 = 0,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try json(["backfill", "--table", "flights", "--from", "2013-01-01", "--to", "2013-01-31", "--quiet"] + extra,
                 status: status, sourceLocation: sourceLocation)
    }

    /// Replaces the field of `column` on physical line `line` (the header is line 1) of `day`'s
    /// source file with `value`.
    func corrupt(day: String, line: Int, column: String, with value: String) throws {
        var lines = try String(contentsOfFile: dayFile(day), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let index = try #require(header.firstIndex(of: column))
        var fields = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[index] = value
        lines[line - 1] = fields.joined(separator: ",")
        try lines.joined(separator: "\n").write(toFile: dayFile(day), atomically: true, encoding: .utf8)
    }

    /// Puts the example's original file for `day` back.
    func repair(day: String) throws {
        try FileManager.default.removeItem(atPath: dayFile(day))
        try FileManager.default.copyItem(atPath: "\(Paths.example)/data/flights-\(day).csv", toPath: dayFile(day))
    }

    /// Every file and folder under the workspace except `data/`, relative, sorted: what a
    /// command wrote.
    func writtenFiles() throws -> [String] {
        let all = try FileManager.default.subpathsOfDirectory(atPath: root)
        return all.filter { $0 != "data" && !$0.hasPrefix("data/") && $0 != "loadkit.yml" }.sorted()
    }
}

/// Parses `text` as one JSON object.
func parseObject(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(parsed as? [String: Any], "stdout is not one JSON object: \(text)", sourceLocation: sourceLocation)
}

/// The `items` of a run summary as dictionaries.
func summaryItems(_ summary: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    try #require(summary["items"] as? [[String: Any]], "no items in \(summary)", sourceLocation: sourceLocation)
}

/// `counts` of a run summary or status report.
func counts(_ report: [String: Any]) -> [String: Int]? {
    report["counts"] as? [String: Int]
}

/// `true` when `value` is JSON `null` (present, not absent).
func isNull(_ value: Any?) -> Bool {
    value is NSNull
}

/// `true` when all of `text` matches the regular expression `pattern`.
func matches(_ text: String?, _ pattern: String) -> Bool {
    guard let text else { return false }
    return text.range(of: "^(?:\(pattern))$", options: .regularExpression) != nil
}
