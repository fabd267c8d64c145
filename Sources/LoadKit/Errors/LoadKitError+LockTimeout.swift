extension LoadKitError {
    /// The error of a load lock that another run held past the wait: `.locked`, transient (the
    /// retry policy tries the task again), worded the same for every destination:
    /// `partition flights 2013-01-05 is locked by run … (pid … on host, since …); gave up after
    /// waiting 60 s (lock_timeout)`.
    /// - Parameters:
    ///   - key: what is locked (`partition <table> <key>`, `table <table>`, `load <load id>`).
    ///   - holder: who holds it, as it described itself; empty when unknown ("another run").
    ///   - timeout: how long the wait lasted (shown to a tenth of a second).
    public static func lockTimedOut(_ key: String, holder: String, waited timeout: Duration) -> LoadKitError {
        let seconds = (timeout.seconds * 10).rounded() / 10
        return LoadKitError(.locked,
            "\(key) is locked by \(holder.isEmpty ? "another run" : holder); gave up after waiting "
            + "\(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) s (lock_timeout)",
            isTransient: true)
    }
}
