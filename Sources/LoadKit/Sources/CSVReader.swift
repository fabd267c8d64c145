/// A streaming RFC 4180 CSV tokenizer over a ``ByteSource``.
///
/// Rules (RFC 4180 §2, with the extensions data engineers expect):
/// - the first record is the header; names must be non-empty, unique, valid UTF-8;
/// - records end at LF, CRLF or CR; a line break inside a quoted field is data;
/// - a field starting with the quote character is quoted; inside it a doubled quote is one
///   quote; after the closing quote only a delimiter, a line break or the end may follow;
///   a quote inside an unquoted field is kept as data;
/// - a UTF-8 byte-order mark at the start is skipped; blank lines are skipped;
/// - every record must have as many fields as the header.
///
/// Memory is bounded by the input chunk (256 KiB) plus the largest record. Fields are exposed
/// as byte views valid until the next call to ``next()``. Lines are physical lines, 1-based,
/// the header being line 1; a field that spans lines reports the line it starts on.
///
/// ```swift
/// let reader = try CSVReader(source: InputFile.open("flights.csv"), fileName: "flights.csv")
/// while try reader.next() { print(reader.fieldCount, reader.recordLine) }
/// ```
public final class CSVReader {
    /// The file name used in error messages.
    public let fileName: String
    /// The dialect being read.
    public let dialect: CSVDialect
    /// The header names, in file order.
    public private(set) var header: [String] = []
    /// The physical line on which the current record starts.
    public private(set) var recordLine = 0

    private struct FieldSpan {
        var start: Int
        var end: Int
        var quoted: Bool
        var line: Int
        var offset: Int
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Bytes read per call: 256 KiB, a few hundred syscalls for a 100 MB file, and a buffer
    /// that counts little in the resident memory of a load.
    private static let chunkSize = 256 << 10
    private static let lf: UInt8 = 10
    private static let cr: UInt8 = 13

    private let source: any ByteSource
    private let input: UnsafeMutableRawBufferPointer
    // The tokenizer's state, touched for every byte and field. A reader is used by one thread
    // at a time and never hands out references to these, so Swift's run-time exclusivity
    // checks (a thread-local access set per access, about 4 % of a load's CPU) guard nothing
    // here. https://www.swift.org/blog/swift-5-exclusivity/
    @exclusivity(unchecked) private var pos = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var inputBase = 0
    @exclusivity(unchecked) private var atEOF = false
    @exclusivity(unchecked) private var row: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var rowCapacity = 64 << 10
    @exclusivity(unchecked) private var rowCount = 0
    @exclusivity(unchecked) private var fields = ContiguousArray<FieldSpan>()
    @exclusivity(unchecked) private var line = 1
    @exclusivity(unchecked) private var pendingCR = false
    @exclusivity(unchecked) private var quotedPrevCR = false
    private var expectedFields: Int?

    /// Opens a CSV stream and reads its header.
    ///
    /// - Parameters:
    ///   - source: the bytes to read (see ``InputFile/open(_:displayName:)``).
    ///   - fileName: how errors name the file.
    ///   - dialect: delimiter, quote and field size limit.
    /// - Throws: ``LoadKitError`` `.noHeader` for an empty input, `.badHeader` for an empty or
    ///   duplicate name, `.encoding` for a header that is not UTF-8, and any tokenizer error.
    public init(source: any ByteSource, fileName: String, dialect: CSVDialect = .standard) throws {
        self.source = source
        self.fileName = fileName
        self.dialect = dialect
        self.input = .allocate(byteCount: Self.chunkSize, alignment: 16)
        self.row = .allocate(byteCount: rowCapacity, alignment: 16)
        try skipByteOrderMark()
        guard try next() else {
            throw LoadKitError(.noHeader, "no header: the file is empty",
                               at: .init(file: fileName, line: 1))
        }
        var names: [String] = []
        var positions: [String: Int] = [:]
        for i in 0..<fieldCount {
            let bytes = field(i)
            if let bad = UTF8Validation.firstInvalidByte(bytes) {
                throw LoadKitError(.encoding, "invalid UTF-8 in the header",
                                   at: .init(file: fileName, line: fieldLine(i), field: i + 1,
                                             byteOffset: inputOffset(ofByte: bad, inField: i)))
            }
            let name = String(decoding: bytes, as: UTF8.self)
            if name.isEmpty {
                throw LoadKitError(.badHeader, "the header has an empty column name",
                                   at: .init(file: fileName, line: fieldLine(i), field: i + 1))
            }
            if let first = positions[name] {
                throw LoadKitError(.badHeader,
                    "duplicate column name '\(name)' in the header (also column \(first))",
                    at: .init(file: fileName, line: fieldLine(i), field: i + 1))
            }
            positions[name] = i + 1
            names.append(name)
        }
        header = names
        expectedFields = names.count
    }

    deinit {
        input.deallocate()
        row.deallocate()
    }

    /// The number of fields in the current record.
    public var fieldCount: Int { fields.count }

    /// The bytes of field `i` of the current record, unquoted and unescaped; valid until
    /// the next call to ``next()``.
    @inline(__always)
    public func field(_ i: Int) -> UnsafeRawBufferPointer {
        let span = fields[i]
        return UnsafeRawBufferPointer(start: row + span.start, count: span.end - span.start)
    }

    /// Whether field `i` was quoted (a quoted empty field is an empty string, not NULL).
    @inline(__always)
    public func isQuoted(_ i: Int) -> Bool { fields[i].quoted }

    /// The physical line on which field `i` starts.
    public func fieldLine(_ i: Int) -> Int { fields[i].line }

    /// The byte offset in the input of the first byte of field `i` (its quote, if quoted).
    public func fieldOffset(_ i: Int) -> Int { fields[i].offset }

    /// The byte offset in the input of byte `index` of field `i`'s unquoted bytes: past the
    /// opening quote, counting each doubled quote before it as the two bytes it was.
    func inputOffset(ofByte index: Int, inField i: Int) -> Int {
        guard isQuoted(i) else { return fieldOffset(i) + index }
        let bytes = field(i)
        var quotes = 0
        for k in 0..<index where bytes[k] == dialect.quote { quotes += 1 }
        return fieldOffset(i) + 1 + index + quotes
    }

    /// Advances to the next record.
    /// - Returns: `false` at the end of the input.
    /// - Throws: ``LoadKitError`` `.fieldCount`, `.unterminatedQuote`, `.badQuote`,
    ///   `.fieldTooLarge`, or `.io` from the source.
    public func next() throws -> Bool {
        fields.removeAll(keepingCapacity: true)
        rowCount = 0
        var state = State.fieldStart
        var fieldStart = 0
        var fieldQuoted = false
        var fieldLine = 0
        var fieldOffset = 0
        let delimiter = dialect.delimiter
        let quote = dialect.quote
        while true {
            if pos == end {
                if try refill() { continue }
                switch state {
                case .fieldStart:
                    if fields.isEmpty { return false }
                    // A delimiter right before the end: one more, empty field.
                    fields.append(FieldSpan(start: rowCount, end: rowCount, quoted: false,
                                            line: line, offset: inputBase + pos))
                    return try finishRecord()
                case .unquoted, .quoteInQuoted:
                    fields.append(FieldSpan(start: fieldStart, end: rowCount, quoted: fieldQuoted,
                                            line: fieldLine, offset: fieldOffset))
                    return try finishRecord()
                case .quoted:
                    throw LoadKitError(.unterminatedQuote,
                        "unterminated quoted field: the closing quote is missing",
                        at: .init(file: fileName, line: fieldLine, field: fields.count + 1))
                }
            }
            let buf = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            switch state {
            case .fieldStart:
                let b = buf[pos]
                if pendingCR {
                    pendingCR = false
                    if b == Self.lf { pos += 1; continue }
                }
                if fields.isEmpty && (b == Self.lf || b == Self.cr) {
                    line += 1
                    pos += 1
                    pendingCR = b == Self.cr
                    continue
                }
                if fields.isEmpty { recordLine = line }
                fieldStart = rowCount
                fieldLine = line
                fieldOffset = inputBase + pos
                if b == quote {
                    fieldQuoted = true
                    state = .quoted
                    pos += 1
                } else {
                    fieldQuoted = false
                    state = .unquoted
                }
            case .unquoted:
                let start = pos
                while pos < end {
                    let b = buf[pos]
                    if b == delimiter || b == Self.lf || b == Self.cr { break }
                    pos += 1
                }
                try append(buf + start, pos - start, fieldStart: fieldStart, fieldLine: fieldLine)
                if pos == end { continue }
                if try endField(buf[pos], span: FieldSpan(start: fieldStart, end: rowCount,
                        quoted: fieldQuoted, line: fieldLine, offset: fieldOffset)) {
                    return try finishRecord()
                }
                state = .fieldStart
            case .quoted:
                let start = pos
                while pos < end {
                    let b = buf[pos]
                    if b == quote { break }
                    if b == Self.lf {
                        if !quotedPrevCR { line += 1 }
                        quotedPrevCR = false
                    } else {
                        if b == Self.cr { line += 1 }
                        quotedPrevCR = b == Self.cr
                    }
                    pos += 1
                }
                try append(buf + start, pos - start, fieldStart: fieldStart, fieldLine: fieldLine)
                if pos == end { continue }
                pos += 1
                quotedPrevCR = false
                state = .quoteInQuoted
            case .quoteInQuoted:
                let b = buf[pos]
                if b == quote {
                    try append(buf + pos, 1, fieldStart: fieldStart, fieldLine: fieldLine)
                    pos += 1
                    state = .quoted
                } else if b == delimiter || b == Self.lf || b == Self.cr {
                    if try endField(b, span: FieldSpan(start: fieldStart, end: rowCount,
                            quoted: true, line: fieldLine, offset: fieldOffset)) {
                        return try finishRecord()
                    }
                    state = .fieldStart
                } else {
                    let shown = b < 0x80 ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
                    throw LoadKitError(.badQuote,
                        "unexpected \(shown) after the closing quote of a quoted field; "
                        + "a quote inside a quoted field must be doubled (\"\")",
                        at: .init(file: fileName, line: fieldLine, field: fields.count + 1))
                }
            }
        }
    }

    /// Consumes the delimiter or line break `b` at `pos` that ends a field.
    /// - Returns: `true` when it also ends the record.
    @inline(__always)
    private func endField(_ b: UInt8, span: FieldSpan) throws -> Bool {
        fields.append(span)
        pos += 1
        if b == dialect.delimiter { return false }
        line += 1
        pendingCR = b == Self.cr
        return true
    }

    private func finishRecord() throws -> Bool {
        if let expected = expectedFields, fields.count != expected {
            let found = fields.count
            let at = found > expected
                ? LoadKitError.Location(file: fileName, line: fields[expected].line, field: expected + 1)
                : LoadKitError.Location(file: fileName, line: recordLine, field: found + 1)
            throw LoadKitError(.fieldCount,
                "expected \(expected) fields as in the header, found \(found)", at: at)
        }
        return true
    }

    @inline(__always)
    private func append(_ bytes: UnsafePointer<UInt8>, _ count: Int, fieldStart: Int,
                        fieldLine: Int) throws {
        if count == 0 { return }
        if rowCount + count - fieldStart > dialect.maxFieldBytes {
            throw LoadKitError(.fieldTooLarge,
                "a field is larger than \(dialect.maxFieldBytes) bytes (is a closing quote missing?)",
                at: .init(file: fileName, line: fieldLine, field: fields.count + 1))
        }
        if rowCount + count > rowCapacity {
            var capacity = rowCapacity * 2
            while capacity < rowCount + count { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            grown.copyMemory(from: row, byteCount: rowCount)
            row.deallocate()
            row = grown
            rowCapacity = capacity
        }
        (row + rowCount).copyMemory(from: bytes, byteCount: count)
        rowCount += count
    }

    /// Reads the next chunk; `false` at the end of the input.
    private func refill() throws -> Bool {
        if atEOF { return false }
        inputBase += end
        pos = 0
        end = try source.read(into: input)
        if end == 0 { atEOF = true }
        return end > 0
    }

    private func skipByteOrderMark() throws {
        // Read until at least three bytes are buffered so a short first read cannot hide a BOM.
        while end < 3 && !atEOF {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[end...]))
            if n == 0 { atEOF = true } else { end += n }
        }
        if end >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { pos = 3 }
    }
}
