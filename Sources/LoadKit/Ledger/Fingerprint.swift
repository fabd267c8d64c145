import Crypto

/// An order-independent fingerprint of a multiset of rows, with the row count.
///
/// Each row is encoded canonically (a type tag and the value's bytes per column, in target
/// column order), hashed with SHA-256, and the first 128 bits of the digest are added modulo
/// 2^128: the additive multiset hash ("MSet-Add-Hash", Clarke et al., *Incremental Multiset
/// Hash Functions and Their Application to Memory Integrity Checking*, 2003). Row order does
/// not change it; a duplicated row does. Fingerprints of disjoint parts add up to the
/// fingerprint of the whole (``combined(with:)``).
///
/// Rendered as 32 lower-case hex digits (``hex``). `-0.0` is hashed as `0.0`, because SQLite
/// stores both the same way.
public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The number of rows added.
    public private(set) var rows: Int = 0
    private var high: UInt64 = 0
    private var low: UInt64 = 0

    /// The fingerprint of no rows.
    public init() {}

    /// Recreates a fingerprint from its ``hex`` form and row count; `nil` if `hex` is not 32
    /// hex digits.
    public init?(hex: String, rows: Int) {
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ $0 &- 48 < 10 || $0 &- 97 < 6 || $0 &- 65 < 6 }),
              let h = UInt64(hex.prefix(16), radix: 16),
              let l = UInt64(hex.suffix(16), radix: 16) else { return nil }
        self.high = h
        self.low = l
        self.rows = rows
    }

    /// Adds one row.
    public mutating func add(_ row: [Value]) {
        var encoder = RowEncoder()
        encoder.append(row)
        add(digestOf: encoder.bytes)
    }

    /// Adds one row given as its canonical encoding (see ``RowEncoder``).
    public mutating func add(digestOf encoding: [UInt8]) {
        let digest = SHA256.hash(data: encoding)
        var h: UInt64 = 0
        var l: UInt64 = 0
        digest.withUnsafeBytes { bytes in
            for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        }
        add(high: h, low: l, rows: 1)
    }

    private mutating func add(high h: UInt64, low l: UInt64, rows count: Int) {
        let (sum, carry) = low.addingReportingOverflow(l)
        low = sum
        high = high &+ h &+ (carry ? 1 : 0)
        rows += count
    }

    /// The fingerprint of both multisets together.
    public func combined(with other: Fingerprint) -> Fingerprint {
        var result = self
        result.add(high: other.high, low: other.low, rows: other.rows)
        return result
    }

    /// The fingerprint of this multiset without `part` (which must be contained in it): the
    /// additive hash subtracts as it adds.
    public func subtracting(_ part: Fingerprint) -> Fingerprint {
        var result = self
        let (low, borrow) = result.low.subtractingReportingOverflow(part.low)
        result.low = low
        result.high = result.high &- part.high &- (borrow ? 1 : 0)
        result.rows -= part.rows
        return result
    }

    /// 32 lower-case hex digits.
    public var hex: String {
        func pad(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return pad(high) + pad(low)
    }

    public var description: String { "\(hex) (\(rows) row\(rows == 1 ? "" : "s"))" }
}

/// The canonical byte encoding of a row that ``Fingerprint`` hashes.
///
/// Per value: tag `0` for NULL; `1` and 8 big-endian bytes for an integer; `2` and the 8
/// big-endian bytes of the IEEE 754 bit pattern for a real; `3`, a 4-byte big-endian length
/// and the UTF-8 bytes for text.
public struct RowEncoder {
    /// The encoding so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty encoder.
    public init() { bytes.reserveCapacity(256) }

    /// Forgets the bytes, keeping the capacity.
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    /// Appends every value of `row`.
    public mutating func append(_ row: [Value]) {
        for value in row { append(value) }
    }

    /// Appends one value.
    public mutating func append(_ value: Value) {
        switch value {
        case .null: appendNull()
        case .integer(let v): appendInteger(v)
        case .real(let v): appendReal(v)
        case .text(var s): s.withUTF8 { appendText(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Appends a NULL (for readers that decode no ``Value``, such as a database scan).
    @inline(__always)
    public mutating func appendNull() { bytes.append(0) }

    /// Appends an integer.
    @inline(__always)
    public mutating func appendInteger(_ v: Int64) {
        bytes.append(1)
        appendBigEndian(UInt64(bitPattern: v))
    }

    /// Appends a real; `-0.0` as `0.0`.
    @inline(__always)
    public mutating func appendReal(_ v: Double) {
        bytes.append(2)
        appendBigEndian((v == 0 ? 0.0 : v).bitPattern)
    }

    /// Appends text given as UTF-8 bytes.
    @inline(__always)
    public mutating func appendText(_ utf8: UnsafeRawBufferPointer) {
        bytes.append(3)
        appendBigEndian32(UInt32(truncatingIfNeeded: utf8.count))
        bytes.append(contentsOf: utf8)
    }

    @inline(__always)
    private mutating func appendBigEndian(_ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    private mutating func appendBigEndian32(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
