import Foundation
import LoadKit
import LoadKitTesting
import Testing

/// Paths of the package, the built `loadkit` binary and the shared real data.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The `loadkit` binary built next to the test bundle (`swift build --build-tests` builds it).
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `.build/<triple>/debug/loadkitPackageTests.xctest`.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("loadkit").path
    }

    /// nycflights13's flights.csv in `../shared/data`: present in CI, absent from a fresh clone.
    static let sharedFlights = packageRoot + "/../shared/data/nycflights13/flights.csv"
    static var hasSharedFlights: Bool { FileManager.default.fileExists(atPath: sharedFlights) }
}

/// A loadkit project in its own temporary directory: `loadkit.yml`, data files and the
/// warehouse (`warehouse.db`, or a schema on the test PostgreSQL server), driven through the
/// real `loadkit` binary.
final class CLIProject: Sendable {
    let dir: TemporaryDirectory
    /// The warehouse the config names.
    let store: TestWarehouse
    var root: String { dir.root }
    var config: String { dir.path("loadkit.yml") }
    /// The SQLite warehouse file (of a project on SQLite).
    var warehouse: String { dir.path("warehouse.db") }

    /// Creates the directory and writes `yaml` as its `loadkit.yml`; on PostgreSQL its line
    /// `warehouse: warehouse.db` becomes the test server's schema (``TestWarehouse/configLines``).
    init(yaml: String, on destination: TestDestination = .sqlite) throws {
        dir = try TemporaryDirectory(prefix: "loadkit-cli")
        store = try TestWarehouse(destination, in: dir)
        let text = destination == .sqlite ? yaml : yaml.replacingOccurrences(of: "warehouse: warehouse.db\n", with: store.configLines)
        try dir.write("loadkit.yml", text)
        try FileManager.default.createDirectory(atPath: dir.path("data"), withIntermediateDirectories: true)
    }

    /// Writes `contents` at `name` (relative to the project, folders created) and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let path = dir.path(name)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The environment of a child: the failpoint set, or explicitly off (an empty value).
    static func environment(failpoint: String?, times: Int? = nil) -> [String: String] {
        var environment = ["LOADKIT_FAILPOINT": failpoint ?? ""]
        if let times { environment["LOADKIT_FAILPOINT_TIMES"] = String(times) }
        return environment
    }

    /// Runs `loadkit load --config loadkit.yml ARGS` in the project folder and waits for it.
    /// - Parameters:
    ///   - failpoint: `LOADKIT_FAILPOINT`, off when `nil`.
    ///   - times: `LOADKIT_FAILPOINT_TIMES`, unset when `nil`.
    ///   - environment: more variables (`LOADKIT_WRITE_STRATEGY`).
    func load(_ arguments: [String], failpoint: String? = nil, times: Int? = nil, environment: [String: String] = [:],
              sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary),
                     "loadkit binary not found at \(Paths.binary); run `swift build` first",
                     sourceLocation: sourceLocation)
        return try ChildProcess.run(Paths.binary, ["load", "--config", config] + arguments,
                                    environment: Self.environment(failpoint: failpoint, times: times)
                                        .merging(environment) { $1 }, currentDirectory: root)
    }

    /// Runs `loadkit load --config loadkit.yml ARGS` twice at the same moment (two background
    /// jobs of one shell, forked back to back) and returns how each ended.
    func loadTwiceAtOnce(_ arguments: [String],
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> (RunningChild.Ended, RunningChild.Ended) {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary),
                     "loadkit binary not found at \(Paths.binary); run `swift build` first",
                     sourceLocation: sourceLocation)
        // No `wait`: the shell inherits this process's signal mask, with SIGCHLD blocked, and
        // dash's `wait` would then sleep forever. The foreground job and a poll do instead.
        let script = """
            rm -f twin-a.status twin-b.status
            ( "$@" >twin-a.out 2>twin-a.err; echo $? >twin-a.tmp; mv twin-a.tmp twin-a.status ) &
            "$@" >twin-b.out 2>twin-b.err; echo $? >twin-b.status
            while [ ! -f twin-a.status ]; do sleep 0.01; done
            """
        _ = try ChildProcess.run("/bin/sh", ["-c", script, "sh", Paths.binary, "load", "--config", config] + arguments,
                                 environment: Self.environment(failpoint: nil), currentDirectory: root)
        func ended(_ tag: String) -> RunningChild.Ended {
            func read(_ suffix: String) -> String { (try? String(contentsOfFile: dir.path("twin-\(tag).\(suffix)"), encoding: .utf8)) ?? "" }
            let code = Int32(read("status").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            // The shell reports a child ended by signal N as 128 + N.
            return RunningChild.Ended(status: code > 128 ? code - 128 : code, wasSignalled: code > 128,
                                      stdout: read("out"), stderr: read("err"))
        }
        return (ended("a"), ended("b"))
    }

    /// Starts `loadkit load --config loadkit.yml ARGS` without waiting; output goes to files.
    func start(_ arguments: [String], tag: String, environment: [String: String] = [:]) throws -> RunningChild {
        try RunningChild(Paths.binary, ["load", "--config", config] + arguments,
                         environment: Self.environment(failpoint: nil).merging(environment) { $1 }, currentDirectory: root,
                         outputPrefix: dir.path("child-\(tag)"))
    }
}

/// A child process that can be killed while it runs (crash tests) or run beside another
/// (concurrency tests). Its output goes to files, so it can never block on a full pipe.
final class RunningChild {
    private let process = Process()
    private let outPath: String
    private let errPath: String

    /// Starts `executable`.
    init(_ executable: String, _ arguments: [String], environment: [String: String],
         currentDirectory: String, outputPrefix: String) throws {
        outPath = outputPrefix + ".out"
        errPath = outputPrefix + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
    }

    /// Sends SIGKILL (no cleanup at all, like a power cut for the process).
    func kill() {
        if process.isRunning { _ = Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// How a child ended: exit code (or signal number) and what it printed.
    struct Ended {
        var status: Int32
        var wasSignalled: Bool
        var stdout: String
        var stderr: String
    }

    /// Waits for the end and returns how it ended and what it printed.
    func wait() -> Ended {
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Ended(status: process.terminationStatus, wasSignalled: process.terminationReason == .uncaughtSignal,
                     stdout: out, stderr: err)
    }
}

/// UTC instants as the tests write them (`YYYY-MM-DDTHH:MM:SSZ`), computed with Foundation's
/// calendar, independently of loadkit's own date code.
enum UTCText {
    private static func calendar() -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ`.
    static func seconds(_ text: String) -> Int64 {
        let parts = text.dropLast().split(whereSeparator: { "-T:".contains($0) }).map { Int($0)! }
        let date = calendar().date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2],
                                                        hour: parts[3], minute: parts[4], second: parts[5]))!
        return Int64(date.timeIntervalSince1970)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
    static func format(_ seconds: Int64) -> String {
        let c = calendar().dateComponents([.year, .month, .day, .hour, .minute, .second],
                                          from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func pad(_ v: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(v).count)) + String(v) }
        return "\(pad(c.year!, 4))-\(pad(c.month!, 2))-\(pad(c.day!, 2))T\(pad(c.hour!, 2)):\(pad(c.minute!, 2)):\(pad(c.second!, 2))Z"
    }
}
