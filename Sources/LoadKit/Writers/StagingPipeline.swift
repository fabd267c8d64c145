import Foundation

/// Moves staged rows to a second thread, which inserts them into the staging table while the
/// calling thread goes on parsing, validating and fingerprinting the input.
///
/// Parsing (with fingerprinting) and SQLite's insert path each take about half of a load's
/// staging time, so on a machine with two cores the pipeline nearly halves it. Rows travel in
/// batches of ``batchRows`` through a queue of at most ``maxQueuedBatches`` batches, so memory
/// stays bounded whatever the input size.
final class StagingPipeline: @unchecked Sendable {
    static let batchRows = 4096
    static let maxQueuedBatches = 4

    private let staging: any StagingWriter
    private let width: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [[Value]] = []
    private var closed = false
    private var failure: (any Error)?
    private var done = false
    // Owned by the producer.
    private var batch: [Value] = []

    /// Starts the consumer thread.
    /// - Parameters:
    ///   - staging: the staging table writer, used only by the consumer thread from now on.
    ///   - width: values per stored row.
    init(staging: any StagingWriter, width: Int) {
        self.staging = staging
        self.width = width
        batch.reserveCapacity(width * Self.batchRows)
        let thread = Thread { [self] in consume() }
        thread.name = "loadkit-staging"
        thread.start()
    }

    /// Queues one stored row; blocks while the queue is full.
    /// - Throws: the consumer's error, as soon as it has one.
    func add(_ row: [Value]) throws {
        batch.append(contentsOf: row)
        if batch.count >= width * Self.batchRows { try flush() }
    }

    private func flush() throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.maxQueuedBatches && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(batch)
        batch = []
        batch.reserveCapacity(width * Self.batchRows)
        condition.broadcast()
    }

    /// Waits until every queued row is staged.
    /// - Throws: the consumer's first error.
    func finish() throws {
        if !batch.isEmpty { try flush() }
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    /// Stops the consumer after an error on the producer's side and waits for it.
    func abandon() {
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
                try next.withUnsafeBufferPointer { batch in
                    var start = 0
                    while start < batch.count {
                        // A view of one row inside the batch: no copies of its values.
                        let row = UnsafeBufferPointer(rebasing: batch[start..<start + width])
                        start += width
                        try staging.insert(row)
                    }
                }
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
}
