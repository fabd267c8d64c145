import Foundation

/// Moves staged rows to a second thread, which inserts them into the staging table and
/// fingerprints them while the calling thread goes on parsing the input.
///
/// Parsing and SQLite's insert path each take about half of a load's time, so on a machine
/// with two cores the pipeline nearly halves staging time. Rows travel in batches of
/// ``batchRows`` through a queue of at most ``maxQueuedBatches`` batches, so memory stays
/// bounded whatever the input size. Fingerprints are kept per partition key, read from the
/// stored row's key column.
final class StagingPipeline: @unchecked Sendable {
    static let batchRows = 4096
    static let maxQueuedBatches = 4

    private let staging: any StagingWriter
    private let width: Int
    private let keyIndex: Int?
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [[Value]] = []
    private var closed = false
    private var failure: (any Error)?
    private var done = false
    // Owned by the consumer thread until `done`.
    private var fingerprints: [String?: Fingerprint] = [:]
    // Owned by the producer.
    private var batch: [Value] = []

    /// Starts the consumer thread.
    /// - Parameters:
    ///   - staging: the staging table writer, used only by the consumer thread from now on.
    ///   - width: values per stored row.
    ///   - keyIndex: the position of the partition key in a stored row, if partitioned.
    init(staging: any StagingWriter, width: Int, keyIndex: Int?) {
        self.staging = staging
        self.width = width
        self.keyIndex = keyIndex
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
    /// - Returns: the fingerprints of the staged rows, per partition key.
    /// - Throws: the consumer's first error.
    func finish() throws -> [String?: Fingerprint] {
        if !batch.isEmpty { try flush() }
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
        return fingerprints
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
        var encoder = RowEncoder()
        var row = [Value](repeating: .null, count: width)
        var currentKey: String?? = nil
        var current = Fingerprint()
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                if let key = currentKey { fingerprints[key] = current }
                done = true
                condition.broadcast()
                condition.unlock()
                break
            }
            let next = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                var start = 0
                while start < next.count {
                    for i in 0..<width { row[i] = next[start + i] }
                    start += width
                    try staging.insert(row)
                    var key: String?
                    if let keyIndex, case .text(let k) = row[keyIndex] { key = k }
                    if currentKey != .some(key) {
                        if let previous = currentKey { fingerprints[previous] = current }
                        current = fingerprints[key] ?? Fingerprint()
                        currentKey = .some(key)
                    }
                    encoder.reset()
                    encoder.append(row)
                    current.add(digestOf: encoder.bytes)
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
