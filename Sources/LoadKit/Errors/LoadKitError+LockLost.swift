extension LoadKitError.Code {
    /// A load's lock lapsed before its commit: its lease expired (its process stopped renewing it,
    /// frozen or cut off from the database for longer than the lease) and may have been taken by
    /// another run. Transient: the commit rolled back, the target is unchanged, and the retry
    /// policy runs the load again under a new lock.
    public static let lockLost = LoadKitError.Code("target.lock_lost")
}

extension LoadKitError {
    /// The error of a commit refused because its load no longer holds the lock `key`:
    /// `.lockLost`, transient, worded the same for every destination:
    /// `partition flights 2013-01-05: this load's lock expired before its commit (now held by
    /// run … (pid … on host, since …)); nothing was committed, the target is unchanged …`.
    /// - Parameters:
    ///   - key: the lock (`partition <table> <key>`, `table <table>`, `load <load id>`).
    ///   - holder: who holds it now, as it described itself; empty when nobody does.
    ///   - lease: how long a lock lasts without renewal, for the advice.
    ///   - renewalFailure: why the last renewal failed, when it did.
    public static func lockLost(_ key: String, holder: String, lease: Duration,
                                renewalFailure: String? = nil) -> LoadKitError {
        let seconds = (lease.seconds * 10).rounded() / 10
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        return LoadKitError(.lockLost,
            "\(key): this load's lock expired before its commit ("
            + (holder.isEmpty ? "nobody holds it now" : "now held by \(holder)")
            + "); nothing was committed, the target is unchanged, and the load runs again under a new lock. "
            + "A lock expires when its process stops renewing it for \(shown) s (queue: { lease: }): "
            + "the process was frozen (SIGSTOP, a paused VM) or could not reach the database"
            + (renewalFailure.map { " (its last renewal failed: \($0))" } ?? ""),
            isTransient: true)
    }
}
