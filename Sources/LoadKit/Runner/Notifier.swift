import Foundation

/// Runs a user's notification command at the end of a run (`notify.on_failure` /
/// `notify.on_success`): `/bin/sh -c COMMAND` with `LOADKIT_RUN_ID`, `LOADKIT_STATUS` and
/// `LOADKIT_FAILED_COUNT` in its environment and the run summary as JSON on standard input.
///
/// A notifier that fails (cannot start, exits non-zero) never changes the run's outcome: the
/// problem is returned as a warning for the caller to print.
public enum Notifier {
    /// Runs `command` for `summary`.
    /// - Parameters:
    ///   - command: a shell command line.
    ///   - summary: the finished run.
    ///   - workingDirectory: where the command runs (the config file's folder).
    /// - Returns: a warning when the command could not run or failed; `nil` when it succeeded.
    public static func notify(_ command: String, summary: RunSummary, workingDirectory: String?) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let failed = summary.count(.failed) + summary.count(.upstreamFailed)
        process.environment = ProcessInfo.processInfo.environment.merging([
            "LOADKIT_RUN_ID": summary.runID,
            "LOADKIT_STATUS": summary.status.rawValue,
            "LOADKIT_FAILED_COUNT": String(failed),
        ]) { $1 }
        let input = Pipe()
        process.standardInput = input
        // The command's output goes to stderr: stdout belongs to loadkit (one JSON document with --json).
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            return "notify command could not start: \(error)"
        }
        let json = (try? JSONEncoder.sorted.encode(RunSummaryJSON(summary))) ?? Data()
        // A command that does not read stdin closes the pipe early; that is not its failure.
        signal(SIGPIPE, SIG_IGN)
        try? input.fileHandleForWriting.write(contentsOf: json)
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            return "notify command '\(command)' exited with status \(process.terminationStatus)"
        }
        return nil
    }
}

/// The JSON shape of a run summary (notifier stdin and `--json` output of run commands):
/// `{"runId", "status", "seconds", "rows", "counts": {status: n}, "items": [{"table",
/// "partition", "status", "attempts", "rows", "message"}]}`.
public struct RunSummaryJSON: Encodable {
    struct Item: Encodable {
        var table: String
        var partition: String?
        var status: String
        var attempts: Int
        var rows: Int
        var message: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(table, forKey: .table)
            try c.encode(partition, forKey: .partition)
            try c.encode(status, forKey: .status)
            try c.encode(attempts, forKey: .attempts)
            try c.encode(rows, forKey: .rows)
            try c.encode(message, forKey: .message)
        }
        enum CodingKeys: String, CodingKey { case table, partition, status, attempts, rows, message }
    }

    var runId: String?
    var status: String
    var seconds: Double
    var rows: Int
    var counts: [String: Int]
    var notStarted: Int
    var items: [Item]
    var warnings: [String]
    var waiting: [RunSummary.WaitingPartition]

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(runId, forKey: .runId)  // null, not absent, when there was no run
        try c.encode(status, forKey: .status); try c.encode(seconds, forKey: .seconds)
        try c.encode(rows, forKey: .rows); try c.encode(counts, forKey: .counts)
        try c.encode(notStarted, forKey: .notStarted); try c.encode(items, forKey: .items)
        try c.encode(warnings, forKey: .warnings)
        // Only `run --due` waits for sources; other commands' documents keep their shape.
        if !waiting.isEmpty { try c.encode(waiting, forKey: .waiting) }
    }
    enum CodingKeys: String, CodingKey { case runId, status, seconds, rows, counts, notStarted, items, warnings, waiting }

    /// The JSON form of `summary`.
    public init(_ summary: RunSummary) {
        runId = summary.runID.isEmpty ? nil : summary.runID
        status = summary.status.rawValue
        seconds = (summary.seconds * 1000).rounded() / 1000
        rows = summary.rows
        counts = Dictionary(grouping: summary.items, by: { $0.status.rawValue }).mapValues(\.count)
        notStarted = summary.notStarted
        items = summary.items.map {
            Item(table: $0.task, partition: $0.partitionKey, status: $0.status.rawValue, attempts: $0.attempts,
                 rows: $0.rows, message: $0.message)
        }
        warnings = summary.warnings
        waiting = summary.waiting
    }
}

extension JSONEncoder {
    /// Pretty, sorted keys, unescaped slashes: stable output for scripts and tests.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
