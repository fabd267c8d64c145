import Foundation
@testable import LoadKit
import Synchronization
import Testing

/// Records what reaches it and on which thread, in order.
private final class RecordingWriter: PartitionReplaceWriter, @unchecked Sendable {
    let rowsParsedBeforeWriting: Int
    init(keeping rows: Int = 1_024) { rowsParsedBeforeWriting = rows }
    let events = Mutex<[String]>([])
    /// The threads (`pthread_self()`) that wrote.
    let threads = Mutex<Set<UInt>>([])

    private func note(_ event: String) {
        events.withLock { $0.append(event) }
        threads.withLock { _ = $0.insert(UInt(pthread_self())) }
    }

    func replace(partition key: String?) throws { note("start \(key ?? "-")") }

    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        guard case .integer(let n) = row[0] else { throw LoadKitError(.schema, "not an integer") }
        note("row \(n)")
    }

    func commit(ledger: [LedgerEntry], beforeCommit: () throws -> Void) throws {}
    func abort() {}
}

/// The rows a writer that keeps the default lets the pipeline keep.
private let kept = RecordingWriter().rowsParsedBeforeWriting

@Suite struct StagingPipelineTests {
    /// Adds `count` one-value rows (0, 1, …) to a pipeline over `writer`, starting partition
    /// "p" first, and returns how many events the writer had seen before `finish()`.
    private func feed(_ count: Int, into writer: RecordingWriter, hook: @escaping () -> Void) throws -> Int {
        let pipeline = StagingPipeline(writer: writer, width: 1, beforeFirstWrite: hook)
        pipeline.startPartition("p")
        for n in 0..<count { try pipeline.add([.integer(Int64(n))]) }
        let before = writer.events.withLock { $0.count }
        try pipeline.finish()
        return before
    }

    @Test("An input of at most soloRows rows reaches the writer only at finish(), on the calling thread, in order, after the hook")
    func smallInputIsWrittenAtFinish() throws {
        let writer = RecordingWriter()
        let hookEvents = Mutex<[Int]>([])
        let seenBeforeFinish = try feed(kept, into: writer) {
            hookEvents.withLock { $0.append(writer.events.withLock { $0.count }) }
        }
        #expect(seenBeforeFinish == 0)
        let events = writer.events.withLock { $0 }
        #expect(events.count == kept + 1)
        #expect(events.first == "start p")
        #expect(events.dropFirst() == ArraySlice((0..<kept).map { "row \($0)" }))
        #expect(writer.threads.withLock { $0 } == [UInt(pthread_self())])
        // Called once, before anything reached the writer.
        #expect(hookEvents.withLock { $0 } == [0])
    }

    @Test("A larger input starts the writer thread: every row arrives once, in order, the hook first")
    func largeInputUsesTheWriterThread() throws {
        let writer = RecordingWriter()
        let count = kept * 3 + 17
        let hookEvents = Mutex<[Int]>([])
        _ = try feed(count, into: writer) {
            hookEvents.withLock { $0.append(writer.events.withLock { $0.count }) }
        }
        let events = writer.events.withLock { $0 }
        #expect(events.count == count + 1)
        #expect(events.first == "start p")
        #expect(events.dropFirst() == ArraySlice((0..<count).map { "row \($0)" }))
        #expect(writer.threads.withLock { $0 } != [UInt(pthread_self())])
        #expect(hookEvents.withLock { $0 } == [0])
    }

    @Test("A writer that wants rows from the first batch (PostgreSQL's) gets them on the writer thread, even for a small input")
    func writerWithoutKeptRows() throws {
        let writer = RecordingWriter(keeping: 0)
        _ = try feed(10, into: writer) {}
        #expect(writer.events.withLock { $0 } == ["start p"] + (0..<10).map { "row \($0)" })
        #expect(!writer.threads.withLock { $0 }.contains(UInt(pthread_self())))
    }

    @Test("A writer error surfaces from finish() for a kept input, and abandon() drops kept rows unwritten")
    func errorsAndAbandon() throws {
        let writer = RecordingWriter()
        let pipeline = StagingPipeline(writer: writer, width: 1)
        try pipeline.add([.integer(1)])
        try pipeline.add([.text("not a number")])
        #expect(throws: LoadKitError.self) { try pipeline.finish() }
        #expect(writer.events.withLock { $0 } == ["row 1"])

        let untouched = RecordingWriter()
        let abandoned = StagingPipeline(writer: untouched, width: 1)
        for n in 0..<100 { try abandoned.add([.integer(Int64(n))]) }
        abandoned.abandon()
        #expect(untouched.events.withLock { $0 }.isEmpty)
    }
}
