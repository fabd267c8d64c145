import Crypto

/// Passes bytes through from another source while computing their SHA-256: the source
/// fingerprint the ledger records, so a later run can tell whether a source changed.
public final class HashingByteSource: ByteSource {
    private let base: any ByteSource
    private var hasher = SHA256()

    /// Wraps `base`.
    public init(_ base: any ByteSource) {
        self.base = base
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try base.read(into: buffer)
        if n > 0 { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n])) }
        return n
    }

    /// The SHA-256 of every byte read so far, as 64 lower-case hex digits. Read it after the
    /// source is exhausted.
    public var hex: String {
        hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The SHA-256 of a whole file's (decompressed) bytes, without parsing it.
    /// - Throws: ``LoadKitError`` `.io`.
    public static func fingerprint(ofFile path: String, displayName: String? = nil) throws -> String {
        let source = HashingByteSource(try InputFile.open(path, displayName: displayName ?? path))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { buffer.deallocate() }
        while try source.read(into: buffer) > 0 {}
        return source.hex
    }
}

extension HashingByteSource {
    /// The SHA-256 of `bytes` as 64 lower-case hex digits.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
