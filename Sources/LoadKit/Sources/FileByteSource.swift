#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file with POSIX `read(2)`, no buffering of its own (the caller's buffer is the buffer).
public final class FileByteSource: ByteSource {
    private let fd: Int32
    private let displayName: String

    /// Opens `path` read-only.
    /// - Throws: ``LoadKitError`` `.io` with the system's reason.
    public init(path: String, displayName: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LoadKitError(.io, "cannot open: \(String(cString: strerror(errno)))",
                               at: .init(file: displayName))
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw LoadKitError(.io, "cannot open: it is a directory", at: .init(file: displayName))
        }
        self.fd = fd
        self.displayName = displayName
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw LoadKitError(.io, "read failed: \(String(cString: strerror(errno)))",
                               at: .init(file: displayName), isTransient: true)
        }
    }
}
