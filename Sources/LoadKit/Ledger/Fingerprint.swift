import Crypto

/// An order-independent fingerprint of a multiset of rows, with the row count.
///
/// Each row is encoded canonically (``RowEncoder``: a type tag and the value's bytes per
/// column, in target column order), the encoding is hashed to a 128-bit number, and the
/// numbers of all rows are added modulo 2^128: the additive multiset hash ("MSet-Add-Hash",
/// Clarke et al., *Incremental Multiset Hash Functions and Their Application to Memory
/// Integrity Checking*, 2003). Row order does not change it; a duplicated row does.
/// Fingerprints of disjoint parts add up to the fingerprint of the whole
/// (``combined(with:)``).
///
/// The per-row hash is the fingerprint's ``Version``: `v2` (the current one) is
/// MurmurHash3_x64_128 with seed 0 (``MurmurHash3``), the row's number being `h1 · 2^64 + h2`;
/// `v1`, written by loadkit before versions existed, is the first 128 bits of the row's
/// SHA-256, read big-endian. Both hash the canonical encoding of values, never storage
/// bytes, so the same rows give the same fingerprint in every destination (SPEC.md §4).
/// Fingerprints of different versions never compare equal, even for the same rows (only the
/// empty fingerprint is the same in every version): compare
/// a recorded fingerprint with data fingerprinted in the recorded one's version.
///
/// For rows nobody chose adversarially, two different multisets collide with probability
/// about 2^-128 per comparison; neither version resists someone who crafts rows to collide.
///
/// Rendered as 32 lower-case hex digits (``hex``) in either version. `-0.0` is hashed as
/// `0.0`, because SQLite stores both the same way.
///
/// ```swift
/// var fingerprint = Fingerprint()
/// fingerprint.add([.integer(1), .text("JFK"), .real(2.5), .null])
/// print(fingerprint.hex)   // "7b6b5a3f…", 32 hex digits
/// ```
public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The per-row hash a fingerprint was computed with, recorded with it in the ledger
    /// (`_loadkit_ledger.fingerprint_version`: `v2`, or NULL for `v1`).
    public enum Version: String, Sendable, Hashable, CaseIterable {
        /// The first 128 bits of SHA-256 of each row's encoding, big-endian (loadkit before
        /// fingerprint versions; ledger entries without a version).
        case v1
        /// MurmurHash3_x64_128 of each row's encoding, seed 0, as `h1 · 2^64 + h2`.
        case v2

        /// The version loadkit computes and records now.
        public static let current: Version = .v2
    }

    /// The number of rows added.
    public private(set) var rows: Int = 0
    /// The per-row hash.
    public private(set) var version: Version
    private var high: UInt64 = 0
    private var low: UInt64 = 0

    /// The fingerprint of no rows, in `version`.
    public init(version: Version = .current) {
        self.version = version
    }

    /// Recreates a fingerprint from its ``hex`` form, row count and version; `nil` if `hex` is
    /// not 32 hex digits.
    public init?(hex: String, rows: Int, version: Version = .current) {
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ $0 &- 48 < 10 || $0 &- 97 < 6 || $0 &- 65 < 6 }),
              let h = UInt64(hex.prefix(16), radix: 16),
              let l = UInt64(hex.suffix(16), radix: 16) else { return nil }
        self.high = h
        self.low = l
        self.rows = rows
        self.version = version
    }

    /// Whether no rows were added (or all were subtracted again).
    public var isEmpty: Bool { rows == 0 && high == 0 && low == 0 }

    /// Same rows count, same sum and same version; the empty fingerprints of all versions are
    /// one (the empty multiset).
    public static func == (a: Fingerprint, b: Fingerprint) -> Bool {
        a.rows == b.rows && a.high == b.high && a.low == b.low && (a.version == b.version || a.isEmpty)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rows)
        hasher.combine(high)
        hasher.combine(low)
        if !isEmpty { hasher.combine(version) }
    }

    /// Adds one row.
    public mutating func add(_ row: [Value]) {
        var encoder = RowEncoder()
        encoder.append(row)
        add(digestOf: encoder.bytes)
    }

    /// Adds one row given as its canonical encoding (see ``RowEncoder``).
    public mutating func add(digestOf encoding: [UInt8]) {
        encoding.withUnsafeBytes { add(encoding: $0) }
    }

    /// Adds one row given as its canonical encoding (see ``RowEncoder``).
    @inline(__always)
    public mutating func add(encoding: UnsafeRawBufferPointer) {
        switch version {
        case .v2:
            let (h1, h2) = MurmurHash3.x64_128(encoding)
            add(high: h1, low: h2, rows: 1)
        case .v1:
            let digest = SHA256.hash(data: encoding)
            var h: UInt64 = 0
            var l: UInt64 = 0
            digest.withUnsafeBytes { bytes in
                for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
                for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
            }
            add(high: h, low: l, rows: 1)
        }
    }

    private mutating func add(high h: UInt64, low l: UInt64, rows count: Int) {
        let (sum, carry) = low.addingReportingOverflow(l)
        low = sum
        high = high &+ h &+ (carry ? 1 : 0)
        rows += count
    }

    /// The fingerprint of both multisets together. An empty fingerprint takes the other's
    /// version; two non-empty ones must have the same version (a precondition: their sum
    /// would mean nothing).
    public func combined(with other: Fingerprint) -> Fingerprint {
        var result = self
        if isEmpty { result.version = other.version }
        precondition(result.version == other.version || other.isEmpty,
                     "combining fingerprints of versions \(version.rawValue) and \(other.version.rawValue)")
        result.add(high: other.high, low: other.low, rows: other.rows)
        return result
    }

    /// The fingerprint of this multiset without `part` (which must be contained in it, in the
    /// same version): the additive hash subtracts as it adds.
    public func subtracting(_ part: Fingerprint) -> Fingerprint {
        var result = self
        if isEmpty { result.version = part.version }
        precondition(result.version == part.version || part.isEmpty,
                     "subtracting a fingerprint of version \(part.version.rawValue) from one of \(version.rawValue)")
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

    /// `<hex> (<n> rows)`, with `, v1` before the parenthesis closes for a `v1` fingerprint.
    public var description: String {
        "\(hex) (\(rows) row\(rows == 1 ? "" : "s")\(version == .current ? "" : ", \(version.rawValue)"))"
    }
}

/// The canonical byte encoding of a row that ``Fingerprint`` hashes (every version).
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

    /// Appends every value of `row`: sized first, written into a temporary buffer, then added
    /// to ``bytes`` with one copy (the loader's per-row hot path).
    public mutating func append(_ row: [Value]) {
        var size = 0
        for value in row {
            switch value {
            case .null: size += 1
            case .integer, .real: size += 9
            case .text(let s): size += 5 + s.utf8.count
            }
        }
        withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { out in
            var at = 0
            for value in row {
                switch value {
                case .null:
                    out[at] = 0
                    at += 1
                case .integer(let v):
                    Self.store(tag: 1, UInt64(bitPattern: v), into: out, at: at)
                    at += 9
                case .real(let v):
                    Self.store(tag: 2, (v == 0 ? 0.0 : v).bitPattern, into: out, at: at)
                    at += 9
                case .text(let s):
                    // Borrowed, not copied: `withUTF8` would need a `var` copy (a retain) per value.
                    at += s.utf8.withContiguousStorageIfAvailable {
                        Self.store(text: UnsafeRawBufferPointer($0), into: out, at: at)
                    } ?? Array(s.utf8).withUnsafeBytes { Self.store(text: $0, into: out, at: at) }
                }
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(out).assumingMemoryBound(to: UInt8.self))
        }
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
    public mutating func appendInteger(_ v: Int64) { appendTagged(1, UInt64(bitPattern: v)) }

    /// Appends a real; `-0.0` as `0.0`.
    @inline(__always)
    public mutating func appendReal(_ v: Double) { appendTagged(2, (v == 0 ? 0.0 : v).bitPattern) }

    /// Appends text given as UTF-8 bytes.
    @inline(__always)
    public mutating func appendText(_ utf8: UnsafeRawBufferPointer) {
        appendTagged32(3, UInt32(truncatingIfNeeded: utf8.count))
        bytes.append(contentsOf: utf8.assumingMemoryBound(to: UInt8.self))
    }

    /// Appends `tag` and the 8 big-endian bytes of `word`, with one copy.
    @inline(__always)
    private mutating func appendTagged(_ tag: UInt8, _ word: UInt64) {
        var buffer: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &buffer) { raw in
            raw[0] = tag
            raw.storeBytes(of: word.bigEndian, toByteOffset: 1, as: UInt64.self)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<9]).assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Appends `tag` and the 4 big-endian bytes of `word`, with one copy.
    @inline(__always)
    private mutating func appendTagged32(_ tag: UInt8, _ word: UInt32) {
        var buffer: UInt64 = 0
        withUnsafeMutableBytes(of: &buffer) { raw in
            raw[0] = tag
            raw.storeBytes(of: word.bigEndian, toByteOffset: 1, as: UInt32.self)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<5]).assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Writes `tag` and the 8 big-endian bytes of `word` at `at`.
    @inline(__always)
    private static func store(tag: UInt8, _ word: UInt64, into out: UnsafeMutableRawBufferPointer, at: Int) {
        out[at] = tag
        out.storeBytes(of: word.bigEndian, toByteOffset: at + 1, as: UInt64.self)
    }

    /// Writes tag 3, the 4-byte big-endian length and the bytes of `utf8` at `at`; returns the
    /// bytes written.
    @inline(__always)
    private static func store(text utf8: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        out[at] = 3
        out.storeBytes(of: UInt32(truncatingIfNeeded: utf8.count).bigEndian, toByteOffset: at + 1, as: UInt32.self)
        if let source = utf8.baseAddress, utf8.count > 0 {
            (out.baseAddress! + at + 5).copyMemory(from: source, byteCount: utf8.count)
        }
        return 5 + utf8.count
    }
}
