import CLoadKitZlib

/// Decompresses a gzip file (RFC 1952) with zlib's `gzread`, including files made of several
/// concatenated gzip members (https://zlib.net/manual.html, "gzip File Access Functions").
public final class GzipByteSource: ByteSource {
    private let file: gzFile
    private let path: String
    private let displayName: String

    /// Opens `path` for decompression.
    /// - Throws: ``LoadKitError`` `.io` when it cannot be opened.
    public init(path: String, displayName: String) throws {
        guard let file = gzopen(path, "rb") else {
            throw LoadKitError(.io, "cannot open gzip file", at: .init(file: displayName))
        }
        gzbuffer(file, 256 * 1024)
        self.file = file
        self.path = path
        self.displayName = displayName
    }

    deinit { gzclose(file) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = gzread(file, buffer.baseAddress, UInt32(min(buffer.count, Int(Int32.max))))
        var code: Int32 = Z_OK
        let text = gzerror(file, &code)
        // A truncated stream ends with 0 bytes read and Z_BUF_ERROR, not with -1.
        if n < 0 || (n == 0 && code != Z_OK && code != Z_STREAM_END) {
            var message = text.map { String(cString: $0) } ?? "unknown error"
            // zlib prefixes its messages with the path it was given; the location names the file.
            if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
            throw LoadKitError(.io, "gzip data is corrupt or truncated: \(message)",
                               at: .init(file: displayName))
        }
        return Int(n)
    }
}
