/// How a task's failed attempts are retried: a number of attempts (including the first) and
/// exponential backoff with full jitter.
///
/// Before attempt `n + 1` the runner sleeps a random duration in `[0, min(maxDelay,
/// initialDelay × 2^(n-1))]` ("full jitter", Brooker, *Exponential Backoff And Jitter*, AWS
/// Architecture Blog, 2015), so retries of many tasks do not fall into step. Only transient
/// errors (``RetryableError/isTransient``) are retried; bad data, schema and config errors
/// fail at once.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, including the first (at least 1).
    public var attempts: Int
    /// The cap of the first delay.
    public var initialDelay: Duration
    /// The largest delay.
    public var maxDelay: Duration

    /// Creates a policy; the defaults are SPEC.md's: 3 attempts, 1 s, 60 s.
    public init(attempts: Int = 3, initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60)) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The upper bound of the delay before attempt `attempt + 1`, after `attempt` failed.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        var ceiling = initialDelay
        for _ in 1..<max(1, attempt) {
            ceiling = ceiling * 2
            if ceiling >= maxDelay { return maxDelay }
        }
        return min(ceiling, maxDelay)
    }

    /// The delay before attempt `attempt + 1`: `ceiling × unit`, `unit` drawn from [0, 1].
    public func delay(afterAttempt attempt: Int, unit: Double) -> Duration {
        ceiling(afterAttempt: attempt) * max(0, min(1, unit))
    }

    /// Whether `error` may be retried.
    public static func isTransient(_ error: any Error) -> Bool {
        (error as? any RetryableError)?.isTransient ?? false
    }
}

/// Sleeps between attempts; tests inject one that records and returns at once.
public protocol Sleeper: Sendable {
    /// Blocks the calling thread for `duration`.
    func sleep(for duration: Duration)
    /// A number in [0, 1] for the jitter.
    func randomUnit() -> Double
}

/// The real sleeper: `Thread.sleep` and the system random generator.
public struct ThreadSleeper: Sleeper {
    /// Creates the sleeper.
    public init() {}
    public func sleep(for duration: Duration) {
        if duration.seconds > 0 { usleepSeconds(duration.seconds) }
    }
    public func randomUnit() -> Double { Double.random(in: 0...1) }
}
