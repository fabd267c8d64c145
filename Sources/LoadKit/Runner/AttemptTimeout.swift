import Foundation

/// Runs one attempt under its task's `timeout:` (``RunTask/timeout``): a timer on the real
/// clock cancels the attempt's ``Cancellation`` when the time is up, which interrupts the
/// statement its destination runs (``Destination/interrupt()``) and stops the loader at its
/// next check; the attempt then fails with ``LoadKitError`` `.timeout`, transient, so the
/// retry policy retries it. The same happens, whatever the limit, when the attempt is cancelled
/// otherwise (the run stopped by SIGINT or SIGTERM, ``Runner/cancel()``): it then fails with
/// ``LoadKitError`` `.interrupted`.
///
/// Waits for other runs' locks (a partition's lock, SQLite's write lock) are not interrupted:
/// they end at `lock_timeout`, and the attempt is then reported as timed out (or interrupted) too.
struct AttemptTimeout {
    /// The limit; `nil` runs the attempt without one.
    var limit: Duration?
    /// Names the attempt in the error, for example `table events, partition 2024-01-01`.
    var subject: String

    /// Runs `body` and cancels `cancellation` if it runs past ``limit``.
    /// - Parameters:
    ///   - cancellation: the attempt's, passed to its loads.
    ///   - destination: the worker's destination, interrupted on cancellation (only while
    ///     `body` runs).
    ///   - body: the attempt.
    /// - Returns: what `body` returns, even when it was cancelled as it finished.
    /// - Throws: ``LoadKitError`` `.timeout` (transient) when `body` throws after the timer
    ///   fired, `.interrupted` (terminal) when it throws after another cancellation; else what
    ///   `body` throws.
    func run<T>(cancellation: Cancellation, destination: any Destination, _ body: () throws -> T) throws -> T {
        let expired = Cancellation()
        var timer: DispatchWorkItem?
        if let limit {
            let item = DispatchWorkItem {
                expired.cancel()
                cancellation.cancel()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + limit.seconds, execute: item)
            timer = item
        }
        defer { timer?.cancel() }
        let target = InterruptTarget(destination: destination)
        do {
            return try cancellation.whileRunning(body, onCancel: { target.destination.interrupt() })
        } catch {
            guard cancellation.isCancelled else { throw error }
            if let limit, expired.isCancelled {
                throw LoadKitError(.timeout,
                    "\(subject): the attempt ran past its timeout of \(Self.format(limit)) and was cancelled; "
                    + "nothing of it was committed (raise the table's timeout: if it needs longer)", isTransient: true)
            }
            throw LoadKitError(.interrupted,
                "\(subject): interrupted (SIGINT or SIGTERM) while it ran and stopped at once (a running statement "
                + "cancelled); its transaction rolled back, nothing of it was committed (`loadkit rerun --failed` runs it again)")
        }
    }

    /// `1 s`, `1.5 s`, `600 s`.
    static func format(_ duration: Duration) -> String {
        let seconds = (duration.seconds * 1000).rounded() / 1000
        return (seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) + " s"
    }
}

/// The destination as the timer thread sees it: only ``Destination/interrupt()`` is called
/// from there, which every destination allows from another thread.
private final class InterruptTarget: @unchecked Sendable {
    let destination: any Destination
    init(destination: any Destination) { self.destination = destination }
}
