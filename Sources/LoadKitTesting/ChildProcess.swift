import Foundation

/// Runs a program as a child process and collects what it printed and how it ended.
///
/// Used by process-level tests: the `loadkit` binary on real files, and crash tests that kill a
/// load mid-way. The child is started with `posix_spawn(3)` with an empty signal mask and
/// default signal actions: test runners call this from worker threads that block every signal,
/// and a child inheriting that mask could not be stopped with SIGTERM, nor could a shell in it
/// ever see its own children exit. Output goes to temporary files, so a chatty child can never
/// block on a full pipe.
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

    /// A started child, for tests that signal it while it runs.
    public final class Running: @unchecked Sendable {
        /// The child's process id.
        public let pid: pid_t
        private let outPath: String
        private let errPath: String

        fileprivate init(pid: pid_t, outPath: String, errPath: String) {
            self.pid = pid
            self.outPath = outPath
            self.errPath = errPath
        }

        /// Sends `signal` to the child.
        public func signal(_ signal: Int32) { kill(pid, signal) }

        /// Waits for the child to end.
        public func wait() -> Result {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            defer { unlink(outPath); unlink(errPath) }
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            let signalled = status & 0x7F != 0
            return Result(status: signalled ? status & 0x7F : (status >> 8) & 0xFF, wasSignalled: signalled,
                          stdout: out, stderr: err)
        }
    }

    /// Starts `executable` with `arguments` without waiting for it.
    ///
    /// - Parameters:
    ///   - executable: an absolute path.
    ///   - arguments: the arguments, without the program name.
    ///   - environment: variables added to (or replacing those of) this process's environment.
    ///   - currentDirectory: the child's working directory; this process's when `nil`.
    /// - Throws: `POSIXError` when the program cannot be started.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                             currentDirectory: String? = nil) throws -> Running {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("loadkit-child-\(UUID().uuidString)").path
        let outPath = base + ".out"
        let errPath = base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        // A working directory is set by a shell that changes into it and then becomes the program.
        var program = executable
        var words = [executable] + arguments
        if let currentDirectory {
            program = "/bin/sh"
            words = ["/bin/sh", "-c", "cd \"$1\" || exit 127; shift; exec \"$@\"", "sh", currentDirectory] + words
        }
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, program, &actions, &attributes, &argv, &envp)
        guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL) }
        return Running(pid: pid, outPath: outPath, errPath: errPath)
    }

    /// Runs `executable` with `arguments` and waits for it to end.
    ///
    /// - Parameters: as ``start(_:_:environment:currentDirectory:)``.
    /// - Returns: the exit status and the captured output.
    /// - Throws: `POSIXError` when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           currentDirectory: String? = nil) throws -> Result {
        try start(executable, arguments, environment: environment, currentDirectory: currentDirectory).wait()
    }
}
