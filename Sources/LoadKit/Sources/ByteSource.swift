/// A stream of input bytes: a plain file or a decompressed gzip file.
///
/// Readers pull chunks into their own buffer, so memory stays bounded whatever the input size.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes at the start of `buffer`.
    /// - Returns: the number of bytes read; 0 only at the end of the input.
    /// - Throws: ``LoadKitError`` `.io` when the input cannot be read.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Opens input files, choosing the decoder from the name.
public enum InputFile {
    /// Opens `path` for streaming: names ending in `.gz` are decompressed with zlib, others are
    /// read as they are.
    /// - Parameters:
    ///   - path: the file path.
    ///   - displayName: how errors name the file; defaults to `path`.
    /// - Throws: ``LoadKitError`` `.io` when the file cannot be opened.
    public static func open(_ path: String, displayName: String? = nil) throws -> any ByteSource {
        let name = displayName ?? path
        if path.hasSuffix(".gz") {
            return try GzipByteSource(path: path, displayName: name)
        }
        return try FileByteSource(path: path, displayName: name)
    }
}
