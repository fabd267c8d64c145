/// Splits a ``ByteSource`` into lines ending in LF (a CR before the LF is dropped).
///
/// Memory is bounded by the chunk (256 KiB) plus the longest line. Each line is exposed as a
/// byte view valid until the next call.
final class LineReader {
    private let source: any ByteSource
    private let chunk: UnsafeMutableRawBufferPointer
    private var pos = 0
    private var end = 0
    private var atEOF = false
    private var pending: [UInt8] = []
    private(set) var lineNumber = 0
    /// The byte offset in the input of the current line's first byte.
    private(set) var lineOffset = 0
    private var consumed = 0

    init(source: any ByteSource) {
        self.source = source
        self.chunk = .allocate(byteCount: 256 << 10, alignment: 16)
    }

    deinit { chunk.deallocate() }

    /// Calls `body` with the next line's bytes (without the line break); `false` at the end.
    func next<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        pending.removeAll(keepingCapacity: true)
        lineOffset = consumed
        while true {
            if pos == end {
                if atEOF { break }
                end = try source.read(into: chunk)
                pos = 0
                if end == 0 { atEOF = true; break }
            }
            let bytes = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var i = pos
            while i < end && bytes[i] != 10 { i += 1 }
            if i < end {
                lineNumber += 1
                consumed += i + 1 - pos
                if pending.isEmpty {
                    let view = UnsafeRawBufferPointer(start: bytes + pos, count: dropCR(bytes + pos, i - pos))
                    pos = i + 1
                    return try body(view)
                }
                pending.append(contentsOf: UnsafeBufferPointer(start: bytes + pos, count: i - pos))
                pos = i + 1
                return try finishPending(body)
            }
            pending.append(contentsOf: UnsafeBufferPointer(start: bytes + pos, count: end - pos))
            consumed += end - pos
            pos = end
        }
        if pending.isEmpty { return nil }
        lineNumber += 1
        return try finishPending(body)
    }

    private func finishPending<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if pending.last == 13 { pending.removeLast() }
        return try pending.withUnsafeBytes { try body($0) }
    }

    private func dropCR(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int {
        count > 0 && start[count - 1] == 13 ? count - 1 : count
    }
}
