import Foundation
import LoadKit

/// An exclusive lock on one lock key (a table's partition, an unpartitioned table, an append's load id): `flock(2)` on a small file in the staging folder.
///
/// The kernel drops the lock when its holder exits, however it exits (`kill -9` included), so a
/// crashed run never leaves a stale lock behind. `flock` locks belong to an open file
/// description, so two threads of one process exclude each other too. The file holds the
/// holder's description (run id, pid, host, since when) for the waiter's error message. Lock
/// files are never deleted while in use: deleting one could let two processes lock different
/// files of the same name.
final class LoadLockFile {
    // Only the descriptor: a load of many partitions holds one of these per partition.
    private let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close(fd) }

    /// Takes the lock, waiting up to `timeout`.
    /// - Parameters:
    ///   - path: the lock file (created when absent).
    ///   - holder: written into the file once the lock is held, for others' messages.
    ///   - key: what is locked (`partition flights 2013-01-05`), for the message.
    /// - Throws: ``LoadKitError`` `.locked` (transient) naming the holder when the wait times
    ///   out; `.io` when the file cannot be opened.
    static func acquire(path: String, holder: String, key: String, timeout: Duration) throws -> LoadLockFile {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LoadKitError(.io, "cannot open lock file: \(String(cString: strerror(errno)))", at: .init(file: path))
        }
        let lock = LoadLockFile(fd: fd)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw LoadKitError(.io, "cannot lock: \(String(cString: strerror(errno)))", at: .init(file: path))
            }
            if clock.now >= deadline {
                throw LoadKitError.lockTimedOut(key, holder: lock.contents(), waited: timeout)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        ftruncate(fd, 0)
        let bytes = Array(holder.utf8)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return lock
    }

    /// Releases the lock (closing the file would too).
    func release() {
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
    }

    /// Whether some process holds the lock at `path` now.
    static func isHeld(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    private func contents() -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
    }
}
