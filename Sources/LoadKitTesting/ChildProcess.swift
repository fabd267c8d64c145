import Foundation

/// Runs a program as a child process and collects what it printed and how it ended.
///
/// Used by process-level tests: the `loadkit` binary on real files, and crash tests that kill a
/// load mid-way. Output is read concurrently with the run, so a chatty child cannot block on a
/// full pipe.
public enum ChildProcess {
    /// How a child ended.
    public struct Result: Sendable {
        /// The exit code, or the signal number when ``wasSignalled``.
        public var status: Int32
        /// `true` when a signal ended the child (for example SIGKILL).
        public var wasSignalled: Bool
        /// Everything written to standard output, as UTF-8.
        public var stdout: String
        /// Everything written to standard error, as UTF-8.
        public var stderr: String
    }

    /// Runs `executable` with `arguments` and waits for it to end.
    ///
    /// - Parameters:
    ///   - executable: an absolute path.
    ///   - arguments: the arguments, without the program name.
    ///   - environment: variables added to (or replacing those of) this process's environment.
    ///   - currentDirectory: the child's working directory; this process's when `nil`.
    /// - Returns: the exit status and the captured output.
    /// - Throws: when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String],
                           environment: [String: String] = [:],
                           currentDirectory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = Collected()
        let group = DispatchGroup()
        for (pipe, isOut) in [(out, true), (err, false)] {
            DispatchQueue.global().async(group: group) {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(String(decoding: data, as: UTF8.self), isOut: isOut)
            }
        }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus,
                      wasSignalled: process.terminationReason == .uncaughtSignal,
                      stdout: collected.stdout, stderr: collected.stderr)
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var out = ""
        private var err = ""
        func set(_ text: String, isOut: Bool) {
            lock.lock(); defer { lock.unlock() }
            if isOut { out = text } else { err = text }
        }
        var stdout: String { lock.lock(); defer { lock.unlock() }; return out }
        var stderr: String { lock.lock(); defer { lock.unlock() }; return err }
    }
}
