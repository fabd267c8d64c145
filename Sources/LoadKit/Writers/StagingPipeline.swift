import Foundation

/// Moves a load's stored rows to a second thread, which writes them (into a staging table, or
/// straight into the target for a direct replace) while the calling thread goes on parsing,
/// validating and fingerprinting the input.
///
/// Parsing (with fingerprinting) and SQLite's insert path each take about half of a load's
/// time, so on a machine with two cores the pipeline nearly halves it. Rows travel in batches
/// of ``batchRows`` through a queue of at most ``maxQueuedBatches`` batches, so memory stays
/// bounded whatever the input size.
///
/// A small input is not worth a thread: the first rows (the writer's
/// ``RowWriter/rowsParsedBeforeWriting``, 1,024 by default) are only kept, and the writer thread
/// starts when the input goes past them. An input that ends first is written
/// by ``finish()`` on the calling thread, in one go. Many small loads side by side (a daily
/// backfill on two workers) then spend no thread start and no hand-over per load, and hold
/// the destination's write lock (a direct replace opens its transaction with the first
/// partition or row written) only while writing, not while parsing. At most the kept rows plus
/// `batchRows × (maxQueuedBatches + 2)` are in flight (then one batch being filled, the queued
/// ones, one being written).
///
/// A direct replace also passes "partition first seen" events (``startPartition(_:)``) in
/// order with the rows: the writer thread calls the writer's
/// ``PartitionReplaceWriter/replace(partition:)`` before the first row of that partition.
final class StagingPipeline: @unchecked Sendable {
    /// Rows per batch: big enough that the hand-over costs nothing per row, small enough that
    /// the rows in flight stay a few hundred KiB.
    static let batchRows = 256
    static let maxQueuedBatches = 2
    /// Rows kept before the writer thread starts (the writer's ``RowWriter/rowsParsedBeforeWriting``).
    private let soloRows: Int

    private struct Batch {
        var values: [Value] = []
        /// Partitions started before row `row` of this batch, in order (`nil`: the whole table).
        var starts: [(row: Int, key: String?)] = []
    }

    private let writer: any RowWriter
    private let replace: (any PartitionReplaceWriter)?
    private let width: Int
    // Used by the writing thread only; `nil` once called.
    private var beforeFirstWrite: (() -> Void)?
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Batch] = []
    private var closed = false
    private var failure: (any Error)?
    private var done = false
    // Owned by the producer.
    private var batch = Batch()
    /// Whether the writer thread runs; until then the producer owns `queue` alone.
    private var started = false
    private var keptRows = 0

    /// Prepares the pipeline; the writer thread starts once the input goes past the writer's
    /// ``RowWriter/rowsParsedBeforeWriting`` (at once when that is 0).
    /// - Parameters:
    ///   - writer: where rows go, used only by the pipeline from now on (until ``finish()``
    ///     or ``abandon()`` returns).
    ///   - width: values per stored row.
    ///   - beforeFirstWrite: called once, on the thread that writes, before the first partition
    ///     start or row reaches `writer`.
    init(writer: any RowWriter, width: Int, beforeFirstWrite: (() -> Void)? = nil) {
        self.writer = writer
        self.replace = writer as? any PartitionReplaceWriter
        self.width = width
        self.beforeFirstWrite = beforeFirstWrite
        self.soloRows = writer.rowsParsedBeforeWriting
        batch.values.reserveCapacity(width * Self.batchRows)
        if soloRows <= 0 { startThread() }
    }

    private func startThread() {
        started = true
        let thread = Thread { [self] in consume() }
        thread.name = "loadkit-writer"
        thread.start()
    }

    /// Queues one stored row; blocks while the queue is full (once the writer thread runs).
    /// - Throws: the writer thread's error, as soon as it has one.
    func add(_ row: [Value]) throws {
        batch.values.append(contentsOf: row)
        if batch.values.count >= width * Self.batchRows { try flush() }
    }

    /// Starts replacing partition `key` (`nil`: the whole table) before the next row added
    /// (direct replace only).
    func startPartition(_ key: String?) {
        batch.starts.append((batch.values.count / width, key))
    }

    private func flush() throws {
        if !started {
            keptRows += batch.values.count / width
            enqueueBatch()
            if keptRows > soloRows { startThread() }
            return
        }
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.maxQueuedBatches && failure == nil { condition.wait() }
        if let failure { throw failure }
        enqueueBatch()
        condition.broadcast()
    }

    /// Moves the batch being filled to the queue and starts an empty one. Under `condition`
    /// once the writer thread runs.
    private func enqueueBatch() {
        queue.append(batch)
        batch = Batch()
        batch.values.reserveCapacity(width * Self.batchRows)
    }

    /// Returns once every row is written: the kept rows of an input that never started the
    /// writer thread are written here, on the calling thread; otherwise it waits for that thread.
    /// - Throws: the writer's first error.
    func finish() throws {
        if !started {
            // The whole input was kept: write it here, in order.
            if !batch.values.isEmpty || !batch.starts.isEmpty { queue.append(batch) }
            let kept = queue
            queue = []
            batch = Batch()
            for next in kept { try write(next) }
            return
        }
        if !batch.values.isEmpty || !batch.starts.isEmpty { try flush() }
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    /// Drops the rows not written yet after an error on the producer's side, stopping the
    /// writer thread (if it started) and waiting for it.
    func abandon() {
        guard started else {
            queue.removeAll()
            return
        }
        condition.lock()
        closed = true
        queue.removeAll()
        condition.broadcast()
        while !done { condition.wait() }
        condition.unlock()
    }

    private func consume() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                done = true
                condition.broadcast()
                condition.unlock()
                break
            }
            let next = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                try write(next)
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    private func write(_ next: Batch) throws {
        if let hook = beforeFirstWrite {
            beforeFirstWrite = nil
            hook()
        }
        var starts = next.starts[...]
        try next.values.withUnsafeBufferPointer { values in
            var row = 0
            var start = 0
            while start < values.count || !starts.isEmpty {
                while let first = starts.first, first.row == row {
                    try replace?.replace(partition: first.key)
                    starts = starts.dropFirst()
                }
                guard start < values.count else { break }
                // A view of one row inside the batch: no copies of its values.
                try writer.insert(UnsafeBufferPointer(rebasing: values[start..<start + width]))
                start += width
                row += 1
            }
        }
    }
}
