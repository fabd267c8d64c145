/// The locks one load holds (SPEC.md §3): one per (table, partition) it covers, so a static
/// load, a dynamic load and a transform of the same partition exclude each other, whatever
/// their load ids. Taken in sorted order with one deadline (`lock_timeout`) for all; released
/// together when the load ends, however it ends (a crashed process's locks are freed by the
/// destination: on SQLite by the kernel, which drops `fcntl(2)` open-file-description locks with
/// their process).
final class LoadLocks {
    private let destination: any Destination
    private let runID: String
    private let deadline: ContinuousClock.Instant
    private var held: [String] = []

    init(destination: any Destination, runID: String, timeout: Duration) {
        self.destination = destination
        self.runID = runID
        self.deadline = .now + timeout
    }

    /// The lock key of one partition of a table.
    static func partition(_ table: String, _ key: String) -> String { "partition \(table) \(key)" }
    /// The lock key of an unpartitioned table.
    static func wholeTable(_ table: String) -> String { "table \(table)" }

    /// Takes `keys` (sorted; already held ones are skipped), waiting at most until the
    /// deadline set when this set of locks was made.
    /// - Throws: ``LoadKitError`` `.locked` naming the holder (transient).
    func acquire(_ keys: [String]) throws {
        for key in keys.sorted() where !held.contains(key) {
            let left = deadline - .now
            try destination.acquireLock(key, runID: runID, timeout: left > .zero ? left : .zero)
            held.append(key)
        }
    }

    /// Whether this load holds `key`.
    func holds(_ key: String) -> Bool { held.contains(key) }

    /// Takes `key` if it is free now, without waiting: what a load does while it holds the
    /// destination's write lock (a direct replace), where waiting for a partition lock could
    /// wait for a process that itself waits for that write lock.
    /// - Returns: `false` when another run holds it.
    /// - Throws: the destination's errors other than ``LoadKitError/Code/locked``.
    func tryAcquire(_ key: String) throws -> Bool {
        if held.contains(key) { return true }
        do {
            try destination.acquireLock(key, runID: runID, timeout: .zero)
        } catch let error as LoadKitError where error.code == .locked {
            return false
        }
        held.append(key)
        return true
    }

    /// Releases the held locks among `keys`.
    func release(_ keys: Set<String>) {
        for key in held.reversed() where keys.contains(key) { try? destination.releaseLock(key, runID: runID) }
        held.removeAll { keys.contains($0) }
    }

    /// Releases every lock taken, newest first.
    func releaseAll() {
        // Runs while the load's own error (if any) propagates; a lock that cannot be released
        // here is released by the kernel when the process ends, so that error must not win.
        for key in held.reversed() { try? destination.releaseLock(key, runID: runID) }
        held = []
    }
}
