import Foundation

/// Runs a user's notification hook (`notify.on_failure`, `on_success`, `on_recovery`,
/// `on_late`; SPEC.md §9): `/bin/sh -c COMMAND` in its own process group, with
/// `LOADKIT_EVENT`, `LOADKIT_RUN_ID`, `LOADKIT_STATUS` and `LOADKIT_FAILED_COUNT` in its
/// environment and the ``RunNotification`` JSON (`loadkit.run/1`) on standard input.
///
/// A hook never changes the run's outcome and never holds loadkit: one that cannot start or
/// exits non-zero is returned as a warning; one still running after `timeout` (30 s unless
/// `LOADKIT_HOOK_TIMEOUT` says otherwise, e.g. `500ms`) or when `isCancelled` turns true
/// (SIGTERM) is killed, with its whole process group (`SIGKILL`), and reported. Its stdin is
/// a file, so a hook that never reads cannot block the writer either.
public enum Notifier {
    /// The environment variable that replaces the 30 s hook timeout (a duration, e.g. `2s`).
    public static let timeoutVariable = "LOADKIT_HOOK_TIMEOUT"

    /// The hook timeout: `LOADKIT_HOOK_TIMEOUT` when set and valid, else 30 s.
    public static func timeout(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration {
        environment[timeoutVariable].flatMap { try? Duration(parsing: $0) } ?? .seconds(30)
    }

    /// Runs hook `command` with `payload`.
    /// - Parameters:
    ///   - command: a shell command line.
    ///   - payload: the notification; its JSON goes to the hook's stdin.
    ///   - workingDirectory: where the command runs (the config file's folder).
    ///   - timeout: how long it may run before it is killed.
    ///   - isCancelled: polled while the hook runs; `true` kills it (loadkit is stopping).
    /// - Returns: a warning when the hook could not run, failed, or was killed; `nil` when it
    ///   succeeded.
    public static func run(_ command: String, payload: RunNotification, workingDirectory: String?,
                           timeout: Duration = Notifier.timeout(),
                           isCancelled: @escaping @Sendable () -> Bool = { false }) -> String? {
        let json = (try? JSONEncoder.sorted.encode(payload)) ?? Data()
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("loadkit-hook-\(UUID().uuidString).json").path
        guard FileManager.default.createFile(atPath: input, contents: json) else {
            return "notify hook '\(command)' could not start: cannot write its input file \(input)"
        }
        defer { unlink(input) }
        let environment = ProcessInfo.processInfo.environment.merging([
            "LOADKIT_EVENT": payload.event,
            "LOADKIT_RUN_ID": payload.runId ?? "",
            "LOADKIT_STATUS": payload.status ?? "",
            "LOADKIT_FAILED_COUNT": String(payload.failures.count),
        ]) { $1 }
        let pid: pid_t
        do {
            pid = try spawn(command, stdin: input, workingDirectory: workingDirectory, environment: environment)
        } catch {
            return "notify hook '\(command)' could not start: \(error)"
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { return "notify hook '\(command)': cannot wait for it: \(String(cString: strerror(errno)))" }
            let stopping = isCancelled()
            if stopping || clock.now >= deadline {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let seconds = (timeout.seconds * 10).rounded() / 10
                return stopping
                    ? "notify hook '\(command)' was killed: loadkit is stopping"
                    : "notify hook '\(command)' was killed after running \(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) s (the hook timeout)"
            }
            usleep(10_000)
        }
        // Whatever the hook left running in its group does not outlive the call either.
        kill(-pid, SIGKILL)
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        if !exited { return "notify hook '\(command)' was ended by signal \(status & 0x7f)" }
        if code != 0 { return "notify command '\(command)' exited with status \(code)" }
        return nil
    }

    /// Starts `/bin/sh -c command` as the leader of a new process group, stdin from the file
    /// `stdin`, stdout to loadkit's stderr (stdout belongs to loadkit: one JSON document with
    /// `--json`).
    private static func spawn(_ command: String, stdin: String, workingDirectory: String?,
                              environment: [String: String]) throws -> pid_t {
        if let workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw HookError(message: "no such directory: \(workingDirectory)")
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // The hook gets default signal handling, whatever loadkit ignores (SIGPIPE, SIGTERM).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        // glibc's posix_spawn has no portable chdir action: a first shell changes directory
        // (the folder and command passed as arguments, never spliced into the script).
        let words: [String] = workingDirectory.map { ["/bin/sh", "-c", #"cd -- "$1" && exec /bin/sh -c "$2""#, "sh", $0, command] }
            ?? ["/bin/sh", "-c", command]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let env: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in arguments + env { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments, env)
        guard result == 0 else { throw HookError(message: String(cString: strerror(result))) }
        return pid
    }

    private struct HookError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs `command` for `summary` with a `failure` or `success` payload of the summary alone
    /// (no command line, host or times): for library callers of the runner without a project.
    /// - Returns: a warning, as ``run(_:payload:workingDirectory:timeout:isCancelled:)``.
    public static func notify(_ command: String, summary: RunSummary, workingDirectory: String?) -> String? {
        let payload = RunNotification(event: summary.status == .success ? "success" : "failure", summary: summary,
                                      command: "", host: ProcessInfo.processInfo.hostName, warehouse: "",
                                      startedAt: nil, finishedAt: nil,
                                      rerun: summary.runID.isEmpty ? nil : "loadkit rerun \(summary.runID)")
        return run(command, payload: payload, workingDirectory: workingDirectory)
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
