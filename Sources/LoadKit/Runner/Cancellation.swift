import Foundation
import Synchronization

/// A request to stop one attempt of a task, made from another thread (the runner's `timeout:`
/// timer, or ``Runner/cancel()`` on SIGINT or SIGTERM), and the hooks that carry it to the work.
///
/// Two paths stop an attempt, because neither alone is enough:
/// - the **flag** (``isCancelled``, one atomic load) is checked by the ``Loader`` once per batch
///   of rows it parses (every 1,024 rows), before its commit, and by a failpoint's `sleep`, which
///   ``sleep(for:)`` wakes at once; it stops work that runs no statement;
/// - the **handlers** (``whileRunning(_:onCancel:)``) stop what is blocked inside the database:
///   the runner registers ``Destination/interrupt()`` (SQLite `sqlite3_interrupt`, PostgreSQL
///   `PQcancel`), which only acts on a statement that is running.
///
/// Either way the load throws, its open transaction rolls back, and the target and ledger are
/// as they were. A cancellation is final: once cancelled, always cancelled.
///
/// ```swift
/// let cancellation = Cancellation()
/// DispatchQueue.global().asyncAfter(deadline: .now() + 30) { cancellation.cancel() }
/// let result = try cancellation.whileRunning({ try loader.load(request) },
///                                            onCancel: { destination.interrupt() })
/// ```
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    /// The registered handlers (by id), and the next id; a handler runs under this lock, so
    /// none runs after ``whileRunning(_:onCancel:)`` has removed it.
    private let handlers = Mutex<(next: Int, byID: [Int: @Sendable () -> Void])>((0, [:]))
    /// Wakes ``sleep(for:)``.
    private let wake = NSCondition()

    /// Creates a cancellation that is not cancelled.
    public init() {}

    /// Whether ``cancel()`` was called: one atomic load, cheap enough for a hot loop.
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    /// Cancels: sets the flag, runs every registered handler once (on the calling thread), and
    /// wakes ``sleep(for:)``. Safe from any thread; calling it again does nothing more.
    public func cancel() {
        guard !flag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        handlers.withLock { state in
            for handler in state.byID.values { handler() }
        }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    /// Runs `body` with `onCancel` registered: a ``cancel()`` while `body` runs calls it (at
    /// once when already cancelled before `body` starts); once this returns it is never called.
    /// - Parameters:
    ///   - body: the work, on the calling thread.
    ///   - onCancel: stops what `body` may be blocked in (a database statement); called on the
    ///     cancelling thread.
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws.
    public func whileRunning<T>(_ body: () throws -> T, onCancel: @escaping @Sendable () -> Void) rethrows -> T {
        let id = handlers.withLock { state -> Int in
            state.next += 1
            state.byID[state.next] = onCancel
            return state.next
        }
        defer { _ = handlers.withLock { $0.byID.removeValue(forKey: id) } }
        if isCancelled { handlers.withLock { _ in onCancel() } }
        return try body()
    }

    /// Throws ``LoadKitError`` `.cancelled` (transient) when cancelled; otherwise returns at once.
    public func check() throws {
        if isCancelled { throw Self.error }
    }

    /// Waits `duration` on the real clock, or less when ``cancel()`` comes first.
    /// - Throws: ``LoadKitError`` `.cancelled` (transient) when cancelled before or during the wait.
    public func sleep(for duration: Duration) throws {
        let deadline = Date().addingTimeInterval(duration.seconds)
        wake.lock()
        defer { wake.unlock() }
        while !isCancelled && Date() < deadline { _ = wake.wait(until: deadline) }
        if isCancelled { throw Self.error }
    }

    /// The error a cancelled attempt's work throws; the runner replaces it with the reason it
    /// cancelled (``LoadKitError/Code/timeout``).
    public static let error = LoadKitError(.cancelled, "the attempt was cancelled", isTransient: true)
}

extension LoadKitError.Code {
    /// The attempt was cancelled while it ran (its transaction rolled back).
    public static let cancelled = LoadKitError.Code("task.cancelled")
    /// The attempt ran past its table's `timeout:` and was cancelled (transient: retried).
    public static let timeout = LoadKitError.Code("task.timeout")
    /// The run was stopped (SIGINT, SIGTERM, ``Runner/cancel()``) while the attempt ran; it was
    /// cancelled and rolled back (terminal: not retried).
    public static let interrupted = LoadKitError.Code("task.interrupted")
}
