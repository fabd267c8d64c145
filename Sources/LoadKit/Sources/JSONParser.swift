/// A strict JSON parser (RFC 8259) for one line of a JSON Lines file, working on the raw bytes.
///
/// It refuses what Foundation's `JSONDecoder` accepts (a trailing comma: `{"a":1,}`, `[1,]`) or
/// silently resolves (a duplicate key: `{"a":1,"a":2}`; keys compare as Swift strings, so
/// canonically equivalent spellings are the same key), and everything else RFC 8259 excludes: a
/// lone UTF-16 surrogate escape (`"\ud800"`), an unescaped control character in a string, a
/// leading zero (`01`), `NaN`, `Infinity`, comments, text after the value. Each refusal has a
/// plain reason and the byte offset where it was found, never a `DecodingError`. Numbers are
/// not converted here: ``JSONNumber`` keeps their text, and the target column decides. Nesting
/// is limited to ``maxDepth`` arrays and objects; the parser does not recurse (open arrays and
/// objects are kept on a heap stack), and code that walks the result recursively
/// (``JSONValue/canonicalText()``) stays within 512 levels.
///
/// The input must already be valid UTF-8 (the caller checks it first). A UTF-8 byte-order mark
/// is skipped when `allowsByteOrderMark` (the first line of a file). Not `Sendable`: it keeps
/// scratch buffers between lines, one parser per source.
///
/// ```swift
/// var parser = JSONParser()
/// let value = try bytes.withUnsafeBytes { try parser.parse($0) }   // .object([...])
/// ```
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted; the top-level object is depth 1.
    static let maxDepth = 512

    /// Why a line is not valid JSON, and where.
    struct Failure: Error {
        /// For example `trailing comma before '}'` or `duplicate key 'a'`.
        var reason: String
        /// The 0-based byte offset in the line where the problem was found.
        var offset: Int
        /// The top-level key whose value (or own spelling) is at fault, when there is one.
        var key: String?
    }

    // Scratch space, reused line after line: members and elements of the objects and arrays
    // being read (innermost last), the key hashes beside `members`, unescaped string bytes.
    private var members: [JSONMember] = []
    private var keyHashes: [UInt64] = []
    private var elements: [JSONValue] = []
    private var open: [Open] = []
    private var buffer: [UInt8] = []

    // The line being read.
    private var b = UnsafeRawBufferPointer(start: nil, count: 0)
    private var i = 0
    private var depth = 0
    private var topKey: String?
    /// FNV-1a of the last string read, its top bit set when the string is not ASCII.
    private var lastHash: UInt64 = 0

    init() {}

    /// Parses one whole line as one JSON value.
    ///
    /// - Parameters:
    ///   - bytes: the line without its line break, valid UTF-8.
    ///   - allowsByteOrderMark: skip a leading UTF-8 byte-order mark (EF BB BF).
    /// - Returns: the value; objects keep their members in input order.
    /// - Throws: ``Failure`` with the reason, the byte offset in `bytes` and the top-level key.
    mutating func parse(_ bytes: UnsafeRawBufferPointer,
                        allowsByteOrderMark: Bool = false) throws(Failure) -> JSONValue {
        b = bytes
        i = 0
        depth = 0
        topKey = nil
        members.removeAll(keepingCapacity: true)
        keyHashes.removeAll(keepingCapacity: true)
        elements.removeAll(keepingCapacity: true)
        open.removeAll(keepingCapacity: true)
        defer { b = UnsafeRawBufferPointer(start: nil, count: 0) }
        if allowsByteOrderMark, b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        let value = try parseValue()
        skipWhitespace()
        if i < b.count {
            throw fail("expected the end of the line after the JSON value (one value per line), "
                + "found \(describe(at: i))")
        }
        return value
    }

    // MARK: - Values

    /// An array or object being read: where its members or elements start in the scratch
    /// stacks, and for an object the key whose value comes next.
    private struct Open {
        var isObject: Bool
        var start: Int
        var key: String = ""
        var hash: UInt64 = 0
    }

    /// Reads one value, nested arrays and objects included, without recursion: the arrays and
    /// objects not yet closed are on ``open``, so nesting costs heap, not stack.
    private mutating func parseValue() throws(Failure) -> JSONValue {
        while true {
            // A scalar, an empty array or object, or the opening of one that has content.
            skipWhitespace()
            var value: JSONValue
            switch peek() {
            case UInt8(ascii: "{"):
                try enter()
                i += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") {
                    i += 1
                    depth -= 1
                    value = .object([])
                } else {
                    open.append(Open(isObject: true, start: members.count))
                    try readKey(afterComma: false)
                    continue
                }
            case UInt8(ascii: "["):
                try enter()
                i += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "]") {
                    i += 1
                    depth -= 1
                    value = .array([])
                } else {
                    open.append(Open(isObject: false, start: elements.count))
                    continue
                }
            case UInt8(ascii: "\""): value = .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); value = .bool(true)
            case UInt8(ascii: "f"): try literal("false"); value = .bool(false)
            case UInt8(ascii: "n"): try literal("null"); value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parseNumber())
            default: throw expectedValue()
            }
            // Add the value to the innermost open array or object; a closing bracket turns that
            // one into the value to add to the next one out.
            while let top = open.last {
                if top.isObject {
                    if depth == 1 { topKey = nil }
                    members.append(JSONMember(key: top.key, value: value))
                    keyHashes.append(top.hash)
                    skipWhitespace()
                    let c = peek()
                    if c == UInt8(ascii: ",") {
                        i += 1
                        try readKey(afterComma: true)
                        break
                    }
                    guard c == UInt8(ascii: "}") else { throw afterMember(top.key) }
                    i += 1
                    value = .object(Array(members[top.start...]))
                    members.removeSubrange(top.start...)
                    keyHashes.removeSubrange(top.start...)
                } else {
                    elements.append(value)
                    skipWhitespace()
                    let c = peek()
                    if c == UInt8(ascii: ",") {
                        i += 1
                        skipWhitespace()
                        if peek() == UInt8(ascii: "]") { throw fail("trailing comma before ']'") }
                        break
                    }
                    guard c == UInt8(ascii: "]") else { throw afterElement() }
                    i += 1
                    value = .array(Array(elements[top.start...]))
                    elements.removeSubrange(top.start...)
                }
                open.removeLast()
                depth -= 1
            }
            if open.isEmpty { return value }
        }
    }

    /// Reads `"key" :` for the innermost open object, refusing a duplicate.
    private mutating func readKey(afterComma: Bool) throws(Failure) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else {
            if afterComma && peek() == UInt8(ascii: "}") { throw fail("trailing comma before '}'") }
            throw expected("a key in double quotes")
        }
        let keyOffset = i
        let key = try parseString(isKey: true)
        let hash = lastHash
        let start = open[open.count - 1].start
        for k in start..<members.count {
            let other = keyHashes[k]
            if (other == hash || (other | hash) >> 63 != 0), members[k].key == key {
                throw duplicateKey(key, at: keyOffset)
            }
        }
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw expected("':' after the key '\(key)'") }
        i += 1
        open[open.count - 1].key = key
        open[open.count - 1].hash = hash
        if depth == 1 { topKey = key }
    }

    @inline(__always)
    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw tooDeep() }
    }

    @inline(never)
    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        var k = 0
        while k < n, i + k < b.count, b[i + k] == w[k] { k += 1 }
        guard k == n, !isWordByte(peek(at: i + n)) else { throw expectedValue() }
        i += n
    }

    // MARK: - Strings

    /// Reads the string at `i` (on its opening quote); for a key, sets ``lastHash``.
    @inline(never)
    private mutating func parseString(isKey: Bool = false) throws(Failure) -> String {
        let open = i
        i += 1
        let start = i
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let bytes = UnsafeRawBufferPointer(rebasing: b[start..<i])
                if isKey { lastHash = Self.hash(bytes) }
                i += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            i += 1
        }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else {
                throw Failure(reason: "the line ends inside a string (missing '\"')", offset: open, key: topKey)
            }
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                if isKey { lastHash = buffer.withUnsafeBytes { Self.hash($0) } }
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw fail("control character \(Self.codePoint(UInt32(c))) in a string; "
                    + "write it as an escape (\\n, \\t, \\u0001)")
            default:
                buffer.append(c)
                i += 1
            }
        }
    }

    private mutating func parseEscape() throws(Failure) {
        let escape = i
        i += 1
        guard i < b.count else {
            throw Failure(reason: "the line ends inside a string (missing '\"')", offset: escape, key: topKey)
        }
        let c = b[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(c)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hex4(escape: escape)
            var scalar = UInt32(unit)
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard peek() == UInt8(ascii: "\\"), peek(at: i + 1) == UInt8(ascii: "u") else {
                    throw loneSurrogate(at: escape)
                }
                let second = i
                i += 2
                let low = try hex4(escape: second)
                guard (0xDC00..<0xE000).contains(low) else { throw loneSurrogate(at: escape) }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00..<0xE000).contains(unit) {
                throw loneSurrogate(at: escape)
            }
            appendUTF8(scalar)
        default:
            i = escape
            let shown = String(decoding: UnsafeRawBufferPointer(rebasing: b[escape..<escape + 1 + sequenceLength(escape + 1)]),
                               as: UTF8.self)
            throw fail("invalid escape '\(shown)' in a string (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
        }
    }

    /// The four hex digits after `\u` at `i`; `escape` is where the backslash is.
    private mutating func hex4(escape: Int) throws(Failure) -> UInt16 {
        var unit: UInt16 = 0
        for k in 0..<4 {
            let c = peek(at: i + k)
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default:
                let end = min(i + k, b.count)
                let shown = String(decoding: UnsafeRawBufferPointer(rebasing: b[escape..<end]), as: UTF8.self)
                throw Failure(reason: "invalid escape '\(shown)' in a string (\\u takes four hex digits)",
                              offset: escape, key: topKey)
            }
            unit = unit << 4 | UInt16(d)
        }
        i += 4
        return unit
    }

    @inline(never)
    private func loneSurrogate(at escape: Int) -> Failure {
        let shown = String(decoding: UnsafeRawBufferPointer(rebasing: b[escape..<escape + 6]), as: UTF8.self)
        return Failure(reason: "lone UTF-16 surrogate \(shown) in a string "
            + "(a high surrogate \\ud800-\\udbff must be followed by a low one \\udc00-\\udfff)",
            offset: escape, key: topKey)
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | scalar >> 6))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | scalar >> 12))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        default:
            buffer.append(UInt8(0xF0 | scalar >> 18))
            buffer.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// FNV-1a over the key's UTF-8 bytes, with the top bit set for a non-ASCII key (such a key
    /// may equal another spelled with different bytes, so it is always compared as a string).
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var high: UInt8 = 0
        for c in bytes {
            h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01B3
            high |= c
        }
        return high >= 0x80 ? h | 1 << 63 : h & ~(1 << 63)
    }

    // MARK: - Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, RFC 8259 section 6.
    @inline(never)
    private mutating func parseNumber() throws(Failure) -> JSONNumber {
        let start = i
        let negative = b[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard isDigit(peek()) else {
            if isWordByte(peek()) { i = start; throw expectedValue() }
            throw invalidNumber(start, "a digit must follow '-'")
        }
        var value: Int64 = 0
        var overflow = false
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(peek()) { throw invalidNumber(start, "a number cannot start with 0 unless it is 0") }
        } else {
            while i < b.count, case let d = b[i] &- UInt8(ascii: "0"), d < 10 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
                overflow = overflow || o1 || o2
                value = s
                i += 1
            }
        }
        var integerSyntax = true
        if peek() == UInt8(ascii: ".") {
            integerSyntax = false
            i += 1
            guard isDigit(peek()) else { throw invalidNumber(start, "a digit must follow '.'") }
            while isDigit(peek()) { i += 1 }
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            integerSyntax = false
            i += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            guard isDigit(peek()) else { throw invalidNumber(start, "a digit must follow the exponent 'e'") }
            while isDigit(peek()) { i += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        return JSONNumber(text: text, integer: integerSyntax && !overflow ? value : nil,
                          isIntegerSyntax: integerSyntax)
    }

    @inline(never)
    private func invalidNumber(_ start: Int, _ why: String) -> Failure {
        var end = start + 1
        while end < b.count, isDigit(b[end]) || isWordByte(b[end]) || b[end] == UInt8(ascii: ".")
                || b[end] == UInt8(ascii: "+") || b[end] == UInt8(ascii: "-") { end += 1 }
        let token = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        return Failure(reason: "invalid number '\(token)': \(why)", offset: start, key: topKey)
    }

    // MARK: - Bytes

    @inline(__always)
    private func peek() -> UInt8 { i < b.count ? b[i] : 0 }

    @inline(__always)
    private func peek(at k: Int) -> UInt8 { k < b.count ? b[k] : 0 }

    @inline(__always)
    private func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    private func isWordByte(_ c: UInt8) -> Bool {
        (c | 0x20) &- UInt8(ascii: "a") < 26 || isDigit(c) || c == UInt8(ascii: "_")
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < b.count {
            let c = b[i]
            guard c == 32 || c == 9 || c == 13 || c == 10 else { return }
            i += 1
        }
    }

    // Failures are built out of line, so that the recursive functions keep small stack frames
    // (512 levels of nesting must fit a 512 KiB thread stack).

    @inline(never)
    private func fail(_ reason: String) -> Failure {
        Failure(reason: reason, offset: i, key: topKey)
    }

    /// `expected <what>, found <the character at i>`.
    @inline(never)
    private func expected(_ what: @autoclosure () -> String) -> Failure {
        fail("expected \(what()), found \(describe(at: i))")
    }

    @inline(never)
    private func duplicateKey(_ key: String, at offset: Int) -> Failure {
        Failure(reason: "duplicate key '\(key)'" + (depth > 1 ? " in a nested object" : ""),
                offset: offset, key: depth == 1 ? key : topKey)
    }

    @inline(never)
    private func afterMember(_ key: String) -> Failure {
        if i >= b.count { return fail("the line ends inside an object (missing '}')") }
        return expected("',' or '}' after the value of '\(key)'")
    }

    @inline(never)
    private func afterElement() -> Failure {
        if i >= b.count { return fail("the line ends inside an array (missing ']')") }
        return expected("',' or ']' after an array element")
    }

    @inline(never)
    private func tooDeep() -> Failure {
        fail("arrays and objects are nested deeper than \(Self.maxDepth) levels")
    }

    /// Where a value was expected: a word (`NaN`, `Infinity`, `tru`, `undefined`) is named whole.
    @inline(never)
    private func expectedValue() -> Failure {
        if i >= b.count { return fail("the line ends where a value belongs") }
        var end = i
        if b[end] == UInt8(ascii: "-") { end += 1 }
        while end < b.count, isWordByte(b[end]) { end += 1 }
        if end > i + (b[i] == UInt8(ascii: "-") ? 1 : 0) {
            let word = String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<end]), as: UTF8.self)
            let hint = ["nan", "infinity", "-infinity", "inf", "-inf"].contains(word.lowercased())
                ? " (JSON has no NaN or Infinity)" : " (JSON values are objects, arrays, strings, numbers, true, false and null)"
            return fail("expected a value, found '\(word)'" + hint)
        }
        return fail("expected a value, found \(describe(at: i))")
    }

    /// The character at `k` for a message: `'x'`, `U+0009`, `'é'`, or `the end of the line`.
    private func describe(at k: Int) -> String {
        guard k < b.count else { return "the end of the line" }
        let c = b[k]
        if c < 0x20 || c == 0x7F { return Self.codePoint(UInt32(c)) }
        if c < 0x80 { return "'\(Character(Unicode.Scalar(c)))'" }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[k..<k + sequenceLength(k)]), as: UTF8.self)
        if text == "\u{FEFF}" { return "a byte-order mark (U+FEFF; allowed only at the start of the file)" }
        return "'\(text)'"
    }

    /// The length of the UTF-8 sequence starting at `k`, within the line.
    private func sequenceLength(_ k: Int) -> Int {
        guard k < b.count else { return 0 }
        let c = b[k]
        let n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
        return min(n, b.count - k)
    }

    private static func codePoint(_ v: UInt32) -> String {
        let hex = String(v, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
