import Foundation
import Synchronization

/// Failure injection at named points of a load (SPEC.md §6), for crash tests and `verify`.
///
/// Off unless `LOADKIT_FAILPOINT=<point>[:crash|:error|:fatal|:sleep=DURATION]` is set. `crash`
/// (the default) ends the process at once with `_exit(137)`, as `kill -9` would: no cleanup, no
/// rollback beyond what the database's journal does. `error` throws a transient error (the retry
/// policy retries it); `fatal` throws a terminal one. `sleep=2s` waits there, holding whatever
/// the load holds at that point (its locks, its open transaction), then goes on: tests use it to
/// make two processes overlap without racing (an attempt's `timeout:` cuts the wait short, see
/// ``reach(cancellation:)``). `LOADKIT_FAILPOINT_TIMES=N` makes it act only
/// the first N times the point is reached in the process.
public enum FailPoint: String, Sendable, CaseIterable {
    /// Every row is written where the commit takes it from (the staging table, or, for a direct
    /// replace, the open transaction); nothing of the target is visible outside yet.
    case afterStaging = "after_staging"
    /// Inside the final transaction, after every write and before `COMMIT`.
    case beforeCommit = "before_commit"
    /// Right after `COMMIT`, before the staging table is dropped and the lock released.
    case afterCommit = "after_commit"

    /// What an armed failpoint does.
    public enum Action: Equatable, Sendable {
        /// `_exit(137)`, like kill -9.
        case crash
        /// A transient ``LoadKitError`` (retried).
        case error
        /// A terminal ``LoadKitError`` (not retried).
        case fatal
        /// Waits this long, then goes on.
        case sleep(Duration)

        /// Reads `crash`, `error`, `fatal` or `sleep=DURATION` (units as ``Duration/init(parsing:)``).
        init(parsing text: String) throws {
            switch text {
            case "crash": self = .crash
            case "error": self = .error
            case "fatal": self = .fatal
            default:
                guard text.hasPrefix("sleep=") else {
                    throw LoadKitError(.schema,
                        "LOADKIT_FAILPOINT: unknown action '\(text)'; use crash, error, fatal or sleep=DURATION")
                }
                do {
                    self = .sleep(try Duration(parsing: String(text.dropFirst("sleep=".count))))
                } catch {
                    throw LoadKitError(.schema, "LOADKIT_FAILPOINT: \(error.reason)")
                }
            }
        }
    }

    /// The configuration read from the environment, or `nil` when failure injection is off.
    /// - Throws: ``LoadKitError`` `.schema` for an unknown point or action (a usage error).
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> (point: FailPoint, action: Action, times: Int?)? {
        guard let spec = environment["LOADKIT_FAILPOINT"], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let point = FailPoint(rawValue: parts[0]) else {
            throw LoadKitError(.schema, "LOADKIT_FAILPOINT: unknown point '\(parts[0])'; known points: "
                + allCases.map(\.rawValue).joined(separator: ", "))
        }
        let action = try parts.count > 1 ? Action(parsing: parts[1]) : .crash
        var times: Int?
        if let text = environment["LOADKIT_FAILPOINT_TIMES"] {
            guard let n = Int(text), n >= 0 else {
                throw LoadKitError(.schema, "LOADKIT_FAILPOINT_TIMES must be a whole number, not '\(text)'")
            }
            times = n
        }
        return (point, action, times)
    }

    /// Whether this point is armed with `sleep` in the environment.
    ///
    /// `after_staging:sleep` is the tool of tests that make two loads overlap on a partition
    /// lock, and it holds only that lock while it waits (README, "Failure injection"): that is
    /// true of the staged strategy, whereas a direct replace holds the warehouse's write
    /// transaction at that point. So a load armed this way stages (see ``Loader``).
    public var sleeps: Bool {
        guard let armed = try? Self.configuration.get(), armed.point == self,
              case .sleep = armed.action else { return false }
        return true
    }

    private static let reached = Mutex<[FailPoint: Int]>([:])
    private static let configuration: Result<(point: FailPoint, action: Action, times: Int?)?, any Error> =
        Result { try configured() }

    /// Acts if this point is armed in the environment; otherwise returns at once.
    ///
    /// A `sleep` waits on the real clock; with a `cancellation` it ends as soon as that is
    /// cancelled (an attempt's `timeout:`), throwing, so a slow attempt made by a failpoint is
    /// stopped like a slow statement.
    /// - Parameter cancellation: the attempt's cancellation, if any.
    /// - Throws: ``LoadKitError`` `.injected` (transient for `error`, terminal for `fatal`),
    ///   `.cancelled` (transient) when `cancellation` ends a `sleep`, or the configuration error.
    public func reach(cancellation: Cancellation? = nil) throws {
        guard let armed = try Self.configuration.get(), armed.point == self else { return }
        let count = Self.reached.withLock { counts -> Int in
            counts[self, default: 0] += 1
            return counts[self]!
        }
        if let times = armed.times, count > times { return }
        switch armed.action {
        case .crash:
            _exit(137)
        case .error:
            throw LoadKitError(.injected, "injected transient failure at \(rawValue)", isTransient: true)
        case .fatal:
            throw LoadKitError(.injected, "injected fatal failure at \(rawValue)")
        case .sleep(let duration):
            if let cancellation {
                try cancellation.sleep(for: duration)
            } else if duration.seconds > 0 {
                usleepSeconds(duration.seconds)
            }
        }
    }
}

extension LoadKitError.Code {
    /// A failure injected by `LOADKIT_FAILPOINT`.
    public static let injected = LoadKitError.Code("failpoint")
}
