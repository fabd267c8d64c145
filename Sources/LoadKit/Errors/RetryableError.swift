/// An error that knows whether trying again could help.
///
/// The retry policy reads ``isTransient`` and nothing else: a busy database or a flaky disk is
/// transient; bad data, a bad schema or a bad config never is. Errors that do not conform are
/// treated as terminal.
public protocol RetryableError: Error {
    /// `true` when the same operation may succeed if attempted again.
    var isTransient: Bool { get }
}

extension LoadKitError: RetryableError {}
