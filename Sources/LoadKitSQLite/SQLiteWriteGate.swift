import CLoadKitSQLite
import Foundation
import LoadKit

/// Takes turns, inside one process, at a warehouse's write lock: the writers of direct replaces
/// and the run log's attempt records of the same warehouse file wait here, on a condition,
/// before `BEGIN IMMEDIATE`.
///
/// SQLite tells a connection waiting for another's write lock nothing when it is released: the
/// waiter polls from its busy handler (every 100 µs, then every millisecond), so each hand-over
/// between a backfill's workers costs up to a millisecond of an idle core and a few wake-ups.
/// Writers of one process that pass this gate first hand over at once, the one finishing
/// waking the next. Writers of other processes, and this process's other writes (staged commits,
/// run rows), still meet at SQLite's own lock through the busy handler, so the gate is only
/// a shortcut, never what makes writes exclusive. Keyed by the path as the destination was
/// opened with: two spellings of one file get two gates and fall back to the busy handler.
final class SQLiteWriteGate: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var held = false

    private static let registry = NSLock()
    // Guarded by `registry`; gates live as long as the process (one per warehouse path).
    nonisolated(unsafe) private static var gates: [String: SQLiteWriteGate] = [:]

    /// The gate of the warehouse at `path`.
    static func forWarehouse(_ path: String) -> SQLiteWriteGate {
        registry.lock()
        defer { registry.unlock() }
        if let gate = gates[path] { return gate }
        let gate = SQLiteWriteGate()
        gates[path] = gate
        return gate
    }

    /// Passes the gate, waiting at most `timeout` for the writer ahead to leave it.
    /// - Returns: `false` when that writer still holds it after `timeout`.
    func enter(timeout: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while held {
            if !condition.wait(until: deadline) && held { return false }
        }
        held = true
        return true
    }

    /// Passes the gate like ``enter(timeout:)``, for a writer about to run `BEGIN IMMEDIATE`.
    /// - Throws: ``SQLiteError`` `SQLITE_BUSY` (transient) when the writer ahead still holds
    ///   it after `timeout`, as SQLite's own busy timeout would.
    func pass(timeout: Duration) throws {
        guard enter(timeout: timeout) else {
            throw SQLiteError(extendedCode: SQLITE_BUSY, message: "database is locked", sql: "BEGIN IMMEDIATE")
        }
    }

    /// Leaves the gate, waking one waiting writer.
    func leave() {
        condition.lock()
        held = false
        condition.signal()
        condition.unlock()
    }
}
