import Foundation
import LoadKit

/// The load locks of one SQLite warehouse (a table's partition, an unpartitioned table, an
/// append's load id): one byte each of a single file, `<warehouse>.loadkit-locks/keys`, locked
/// with open-file-description locks (`fcntl(2)` `F_OFD_SETLK`, Linux 3.15 and later).
///
/// The kernel drops such a lock when its last descriptor closes, however the process ends
/// (`kill -9` included), so a crashed run never leaves a stale lock behind. An OFD lock belongs
/// to one open file description, and each lock taken opens its own, so two threads of one
/// process exclude each other too (POSIX record locks would not). A key's byte is at the offset
/// given by the first 62 bits of the SHA-256 of the key: two keys share a byte with odds of
/// about 2⁻⁶² a pair, and then only make each other wait. One file for every key means no file
/// is created per partition: creating 365 small files cost a daily backfill about 0.3 ms a
/// partition on ext4 (inode allocation), more than the rest of its locking.
///
/// Who holds a key, for a waiter's message, is in a file of the holder's own,
/// `holder-<pid>-<random>`, created with its first lock, locked (byte 0) while its table lives,
/// holding one line per lock taken (`+<key>\t<holder>`) or released (`-<key>`), emptied
/// whenever it holds none, removed when its table is freed. A crashed process's holder file is
/// no longer locked: waiters skip it and `gc` removes it (``unusedFiles(in:)``).
/// https://man7.org/linux/man-pages/man2/fcntl.2.html ("Open file description locks")
final class LoadLockTable {
    /// `<warehouse>.loadkit-locks`.
    let directory: String
    private var keysPath: String { directory + "/keys" }
    private var holder: (fd: Int32, path: String)?
    private var heldCount = 0

    init(directory: String) {
        self.directory = directory
    }

    deinit {
        if let holder {
            unlink(holder.path)
            close(holder.fd)
        }
    }

    /// One key this table holds; released with ``LoadLockTable/release(_:)`` or when freed.
    final class Held {
        fileprivate let fd: Int32
        let key: String
        fileprivate init(fd: Int32, key: String) {
            self.fd = fd
            self.key = key
        }
        deinit { close(fd) }
    }

    /// Takes the lock of `key`, waiting up to `timeout` (trying every 20 ms).
    /// - Parameter description: written for others' messages (run id, pid, host, since when).
    /// - Throws: ``LoadKitError`` `.locked` (transient) naming the holder when the wait times
    ///   out; `.io` when the lock folder or its files cannot be opened.
    func acquire(_ key: String, description: String, timeout: Duration) throws -> Held {
        let holderFD = try openHolder()
        let fd = open(keysPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError("cannot open lock file", keysPath) }
        let held = Held(fd: fd, key: key)
        var lock = Self.byteLock(F_WRLCK, at: Self.offset(of: key))
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while fcntl(fd, Self.F_OFD_SETLK, &lock) != 0 {
            guard errno == EAGAIN || errno == EACCES || errno == EINTR else {
                throw Self.ioError("cannot lock", keysPath)
            }
            if clock.now >= deadline {
                throw LoadKitError.lockTimedOut(key, holder: Self.holderOf(key, in: directory) ?? "", waited: timeout)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        heldCount += 1
        Self.append("+\(Self.escaped(key))\t\(Self.escaped(description))\n", to: holderFD)
        return held
    }

    /// Releases `held` (freeing it would too).
    func release(_ held: Held) {
        var lock = Self.byteLock(F_UNLCK, at: Self.offset(of: held.key))
        _ = fcntl(held.fd, Self.F_OFD_SETLK, &lock)
        heldCount -= 1
        guard let holder else { return }
        // Emptied whenever nothing is held, so a long-lived worker's file stays small.
        if heldCount == 0 {
            ftruncate(holder.fd, 0)
        } else {
            Self.append("-\(Self.escaped(held.key))\n", to: holder.fd)
        }
    }

    /// The keys some live process holds now, per the holder files (for tests and `gc`).
    static func heldKeys(in directory: String) -> [String] {
        liveRecords(in: directory).keys.sorted()
    }

    /// The description of whoever holds `key`, per the live holder files, or `nil`.
    static func holderOf(_ key: String, in directory: String) -> String? {
        liveRecords(in: directory)[key]
    }

    /// Files in the lock folder no live process uses: holder files of processes that died, and
    /// the per-key `*.lock` files of loadkit versions before this table, when not locked.
    static func unusedFiles(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.sorted().filter { name in
            if name.hasPrefix("holder-") { return !isLive(holderAt: directory + "/" + name) }
            if name.hasSuffix(".lock") { return !isFlocked(directory + "/" + name) }
            return false
        }
    }

    // MARK: - Holder files

    private func openHolder() throws -> Int32 {
        if let holder { return holder.fd }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Self.ioError("cannot create the lock folder", directory)
        }
        let path = directory + "/holder-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError("cannot create lock holder file", path) }
        var lock = Self.byteLock(F_WRLCK, at: 0)
        guard fcntl(fd, Self.F_OFD_SETLK, &lock) == 0 else {
            let error = Self.ioError("cannot lock", path)
            close(fd)
            unlink(path)
            throw error
        }
        holder = (fd, path)
        return fd
    }

    /// Key → description, replayed from every holder file whose process is alive.
    private static func liveRecords(in directory: String) -> [String: String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
        var held: [String: String] = [:]
        for name in names where name.hasPrefix("holder-") {
            let path = directory + "/" + name
            guard isLive(holderAt: path), let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            var mine: [String: String] = [:]
            for line in text.split(separator: "\n") {
                if line.hasPrefix("+") {
                    let fields = line.dropFirst().split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                    guard fields.count == 2 else { continue }
                    mine[String(fields[0])] = String(fields[1])
                } else if line.hasPrefix("-") {
                    mine[String(line.dropFirst())] = nil
                }
            }
            held.merge(mine) { first, _ in first }
        }
        return held
    }

    /// Whether the holder file's process still has it locked.
    private static func isLive(holderAt path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var probe = byteLock(F_RDLCK, at: 0)
        guard fcntl(fd, F_OFD_GETLK, &probe) == 0 else { return false }
        return probe.l_type != Int16(F_UNLCK)
    }

    /// Whether some process holds an `flock(2)` on the file (the per-key files of earlier
    /// versions).
    private static func isFlocked(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    private static func append(_ line: String, to fd: Int32) {
        // Only for others' messages: a record that cannot be written leaves the message
        // without a holder's name, never the lock unheld.
        var line = line
        line.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
    }

    // MARK: - Helpers

    // <fcntl.h> defines these only under _GNU_SOURCE, which Swift's Glibc module does not set.
    private static let F_OFD_GETLK: Int32 = 36
    private static let F_OFD_SETLK: Int32 = 37

    /// The byte of `key`: the first 62 bits of its SHA-256, plus one (byte 0 is never a key's).
    static func offset(of key: String) -> off_t {
        let value = UInt64(HashingByteSource.sha256Hex(Array(key.utf8)).prefix(16), radix: 16) ?? 0
        return off_t(value >> 2) + 1
    }

    private static func byteLock(_ type: Int32, at offset: off_t) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = offset
        lock.l_len = 1
        lock.l_pid = 0
        return lock
    }

    /// Keys and descriptions are one line each: tabs and newlines (never in loadkit's keys)
    /// are written as spaces.
    private static func escaped(_ text: String) -> String {
        guard text.contains(where: { $0 == "\t" || $0 == "\n" }) else { return text }
        return String(text.map { $0 == "\t" || $0 == "\n" ? " " : $0 })
    }

    private static func ioError(_ what: String, _ path: String) -> LoadKitError {
        LoadKitError(.io, "\(what): \(String(cString: strerror(errno)))", at: .init(file: path))
    }
}
