import Foundation

/// The runner's attempt records on their way to the ``RunLog``, written in groups.
///
/// Writing each record in a transaction of its own costs two commits per attempt (about 50 µs on
/// SQLite), more than the runner's own work per task (about 6 µs). The journal gathers what
/// changed and writes it in one transaction (``RunLog/writeAttempts(inserting:updating:)``):
/// every ``interval`` from a thread of its own, and at once where it matters —
///
/// - before an attempt can change the warehouse (``makeDurable(_:)``, called when its task first
///   uses ``TaskContext/destination``, or when a load of ``TaskContext/loader`` first writes),
///   so a process killed while it loads leaves the attempt behind (`running`, then
///   `interrupted`; SPEC.md §4);
/// - when any attempt fails (``end(_:_:durable:)``);
/// - at the run's end (``close()``).
///
/// A success's end waits for the next group (at most ``interval``, or the same worker's next
/// start, whichever comes first) rather than a commit of its own: in a backfill each commit
/// takes a turn at the warehouse's one write lock between two loads.
///
/// An attempt whose task never touched the warehouse (a no-op, or a task that fails before it
/// opens anything) may be written only when it has ended, as one row. A group that cannot be
/// written (disk full, the database locked by another program) stays pending and is tried again
/// at the next occasion; ``close()`` reports the error if it still fails.
final class AttemptJournal: @unchecked Sendable {
    /// An attempt's place in the journal.
    final class Entry {
        fileprivate var record: AttemptRecord
        fileprivate var id: Int64?
        /// Changed since last written (or never written).
        fileprivate var dirty = true
        /// Counts changes, so a write knows whether the entry changed while it was written.
        fileprivate var version = 0
        fileprivate init(_ record: AttemptRecord) { self.record = record }
    }

    /// How long a change may wait for a group write.
    let interval: Duration
    private let runLog: any RunLog
    /// Guards the entries and the state below; never held while the run log is written, so
    /// ``begin(_:)``, ``append(_:)`` and an ``end(_:_:durable:)`` that is not durable never wait
    /// for the database.
    private let condition = NSCondition()
    /// Held while a group is written: one write at a time, in order.
    private let writing = NSLock()
    /// Entries with changes not yet written, in the order they changed first.
    private var pending: [Entry] = []
    private var stopping = false
    private var flusher: Thread?
    private var lastError: (any Error)?

    /// - Parameters:
    ///   - runLog: written only by this journal (one group at a time) until ``close()``.
    ///   - interval: the longest a change waits for its group (10 ms by default).
    init(runLog: any RunLog, interval: Duration = .milliseconds(10)) {
        self.runLog = runLog
        self.interval = interval
    }

    /// Starts the thread that writes pending changes every ``interval``.
    func open() {
        let thread = Thread { [self] in flushPeriodically() }
        thread.name = "loadkit-journal"
        condition.withLock { flusher = thread; stopping = false }
        thread.start()
    }

    /// Records an attempt as started (status `running`); written with the next group.
    func begin(_ record: AttemptRecord) -> Entry {
        let entry = Entry(record)
        condition.withLock { add([entry]) }
        return entry
    }

    /// Records records that start and end at once (`upstream_failed`, an item whose worker
    /// could not open its destination); written with the next group.
    func append(_ records: [AttemptRecord]) {
        guard !records.isEmpty else { return }
        condition.withLock { add(records.map(Entry.init)) }
    }

    /// Records how an attempt ended.
    /// - Parameter durable: write it now (with everything pending) rather than with the next
    ///   group: for an attempt that used the warehouse, or failed.
    func end(_ entry: Entry, _ record: AttemptRecord, durable: Bool) {
        condition.withLock {
            entry.record = record
            entry.version += 1
            if !entry.dirty {
                entry.dirty = true
                add([entry])
            }
        }
        if durable { writePending() }
    }

    /// Writes the attempt's start now, with everything pending, unless it is written already.
    /// A failed write stays pending (see ``close()``); the attempt goes on, as it would have with
    /// an unwritable run log before.
    func makeDurable(_ entry: Entry) {
        if condition.withLock({ entry.id == nil }) { writePending() }
    }

    /// Stops the writing thread and writes what is pending.
    /// - Throws: the run log's error when the pending records cannot be written; the first
    ///   error of a write that failed earlier when the last one succeeded is not thrown (those
    ///   records were written after all).
    func close() throws {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while flusher != nil { condition.wait() }
        }
        writePending()
        try condition.withLock {
            if !pending.isEmpty, let lastError { throw lastError }
        }
    }

    /// Adds changed entries; wakes the writing thread when they are the first. Called under
    /// `condition`.
    private func add(_ entries: [Entry]) {
        if pending.isEmpty { condition.broadcast() }
        pending += entries
    }

    private func flushPeriodically() {
        condition.lock()
        while !stopping {
            if pending.isEmpty {
                condition.wait()
                continue
            }
            // Let the group fill for one interval (other threads' writes may empty it meanwhile);
            // after a failed write, wait longer: a full disk does not free itself in 10 ms.
            let deadline = Date().addingTimeInterval((lastError == nil ? interval : .seconds(1)).seconds)
            while !stopping && !pending.isEmpty && Date() < deadline { _ = condition.wait(until: deadline) }
            if stopping { break }
            condition.unlock()
            writePending()
            condition.lock()
        }
        flusher = nil
        condition.broadcast()
        condition.unlock()
    }

    /// Writes every pending change in one transaction. Called without `condition`: the
    /// changes are taken under it, written without it, and entries that changed meanwhile stay
    /// pending for the next group.
    private func writePending() {
        writing.lock()
        defer { writing.unlock() }
        let group: [(entry: Entry, record: AttemptRecord, id: Int64?, version: Int)] = condition.withLock {
            pending.map { ($0, $0.record, $0.id, $0.version) }
        }
        guard !group.isEmpty else { return }
        let inserts = group.filter { $0.id == nil }
        let updates = group.filter { $0.id != nil }
        let outcome = Result {
            try runLog.writeAttempts(inserting: inserts.map(\.record), updating: updates.map { ($0.id!, $0.record) })
        }
        condition.withLock {
            switch outcome {
            case .success(let ids):
                for (item, id) in zip(inserts, ids) { item.entry.id = id }
                let written = Set(group.filter { $0.entry.version == $0.version }.map { ObjectIdentifier($0.entry) })
                for item in group where written.contains(ObjectIdentifier(item.entry)) { item.entry.dirty = false }
                // Kept: entries that changed while this group was written, and entries added meanwhile.
                pending.removeAll { written.contains(ObjectIdentifier($0)) }
                lastError = nil
            case .failure(let error):
                // Kept pending: tried again at the next occasion, reported by close().
                lastError = error
            }
        }
    }
}
