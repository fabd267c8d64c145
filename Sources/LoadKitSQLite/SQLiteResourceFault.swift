import CLoadKitSQLite
import Foundation
import LoadKit

/// Turns SQLite's resource faults (a full disk, a read-only warehouse, a lock held too long by
/// another program, an I/O error) into ``LoadKitError``s that say which file or folder, what
/// happened to the warehouse, and what to do.
///
/// | SQLite result (extended codes included) | code | transient |
/// | --- | --- | --- |
/// | `SQLITE_FULL`; `SQLITE_IOERR_*` with `errno` `ENOSPC` or `EDQUOT` | `resource.disk_full` | no |
/// | `SQLITE_READONLY_*`; `SQLITE_CANTOPEN` or `SQLITE_IOERR_*` on a read-only file system, file or folder (`EROFS`, `EACCES`, `EPERM`) | `resource.read_only` | no |
/// | `SQLITE_BUSY_*`, `SQLITE_LOCKED_*` (after the busy timeout) | `resource.locked` | yes: the retry policy tries again |
/// | other `SQLITE_IOERR_*`, `SQLITE_CANTOPEN` | `resource.io` | no |
///
/// Every other error is returned unchanged. The new message ends with SQLite's own code and
/// message, for example `(SQLite error 13: database or disk is full)`. A fault while writing
/// never leaves a partial change: SQLite rolls the transaction back (its journal or write-ahead
/// log), and a TEMP staging table is never part of the warehouse.
/// https://www.sqlite.org/rescode.html, https://www.sqlite.org/tempfiles.html
///
/// ```swift
/// do { try commitRows() } catch let error as SQLiteError {
///     throw SQLiteResourceFault.explain(error, phase: .commit, warehouse: path, busyTimeout: .seconds(60))
/// }
/// ```
public enum SQLiteResourceFault {
    /// What was being written when the fault happened; it decides which folder is named and
    /// what the message says about the warehouse.
    public enum Phase: Sendable {
        /// Opening the warehouse (and switching it to WAL).
        case open
        /// Writing rows into a TEMP staging table: files in SQLite's temporary directory, never
        /// the warehouse.
        case staging
        /// The load's final transaction: target rows and ledger entries in the warehouse.
        case commit
        /// A run or attempt record (`_loadkit_runs`, `_loadkit_attempts`) in the warehouse.
        case runLog
    }

    /// The error to throw in place of `error`.
    ///
    /// - Parameters:
    ///   - error: what SQLite reported.
    ///   - phase: what was being written.
    ///   - warehouse: the warehouse file's path as configured.
    ///   - busyTimeout: how long the connection waited for locks, for the `resource.locked`
    ///     message.
    ///   - environment: the variables that choose SQLite's temporary directory (this process's
    ///     by default).
    /// - Returns: a ``LoadKitError`` with code `resource.disk_full`, `resource.read_only`,
    ///   `resource.locked` or `resource.io` for a resource fault, else `error` itself.
    public static func explain(_ error: SQLiteError, phase: Phase, warehouse: String, busyTimeout: Duration,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> any Error {
        let sqlite = "(SQLite error \(error.extendedCode): \(error.message)"
            + (error.systemErrno != 0 ? ", errno \(error.systemErrno): \(String(cString: strerror(error.systemErrno)))" : "")
            + ")"
        let warehouseFolder = folder(of: warehouse)
        let temporary = temporaryDirectory(environment: environment)
        let primary = error.primaryCode
        let errno = error.systemErrno

        if primary == SQLITE_FULL || (primary == SQLITE_IOERR && (errno == ENOSPC || errno == EDQUOT)) {
            let quota = errno == EDQUOT ? " (the disk quota is exceeded)" : ""
            if phase == .staging || fullerIsTemporary(temporary, than: warehouseFolder) {
                let place = temporary ?? "SQLite's temporary directory"
                return LoadKitError(.diskFull,
                    "disk full: no space left in \(place)\(quota)\(free(place)), SQLite's temporary directory, where "
                    + "\(phase == .staging ? "the load stages its rows in a TEMP table" : "SQLite keeps temporary files during the commit"); "
                    + "free space there, or set SQLITE_TMPDIR to a folder with room (SQLite uses the first writable of "
                    + "SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp, .), then run again; \(consequence(phase)) \(sqlite)")
            }
            return LoadKitError(.diskFull,
                "disk full: no space left in \(warehouseFolder)\(quota)\(free(warehouseFolder)), the folder of the "
                + "warehouse \(warehouse); free space there or move the warehouse to a disk with room, then run again; "
                + "\(consequence(phase)) \(sqlite)")
        }

        let readOnlyErrno = errno == EROFS || errno == EACCES || errno == EPERM
        if primary == SQLITE_READONLY || ((primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR)
                                          && (readOnlyErrno || readOnlyReason(warehouse) != nil)) {
            if phase == .staging, let temporary, let reason = readOnlyReason(temporary + "/.") {
                return LoadKitError(.readOnly,
                    "read-only: SQLite's temporary directory \(temporary) cannot be written (\(reason)); set "
                    + "SQLITE_TMPDIR to a writable folder, then run again; \(consequence(phase)) \(sqlite)")
            }
            let reason = readOnlyReason(warehouse)
                ?? "SQLite cannot write it or create \(warehouse)-wal and \(warehouse)-shm beside it"
            return LoadKitError(.readOnly,
                "read-only: the warehouse \(warehouse) cannot be written: \(reason); make it writable (remount the "
                + "file system read-write, chmod u+w the file and its folder) or copy it to a writable folder and pass "
                + "--warehouse PATH; \(consequence(phase)) \(sqlite)")
        }

        if primary == SQLITE_BUSY {
            return LoadKitError(.resourceLocked,
                "locked: the warehouse \(warehouse) is locked by another process, which held its write lock for longer "
                + "than the busy timeout (\(seconds(busyTimeout)), lock_timeout in loadkit.yml); wait for that program "
                + "to finish or end its transaction (`fuser \(warehouse)` names it), or raise lock_timeout; loadkit "
                + "retries this as the table's retry policy allows; \(consequence(phase)) \(sqlite)",
                isTransient: true)
        }
        if primary == SQLITE_LOCKED {
            return LoadKitError(.resourceLocked,
                "locked: a table in \(warehouse) is locked by another statement on the same connection; run again; "
                + "\(consequence(phase)) \(sqlite)", isTransient: true)
        }

        if primary == SQLITE_CANTOPEN {
            var isDirectory: ObjCBool = false
            let reason = !FileManager.default.fileExists(atPath: warehouseFolder, isDirectory: &isDirectory)
                ? "its folder \(warehouseFolder) does not exist; create it or fix the warehouse path"
                : !isDirectory.boolValue ? "\(warehouseFolder) is not a folder; fix the warehouse path"
                : "check that the path names a file you may read and write"
            return LoadKitError(.resourceIO, "cannot open the warehouse \(warehouse): \(reason); "
                + "\(consequence(phase)) \(sqlite)")
        }
        if primary == SQLITE_IOERR {
            let place = phase == .staging ? "SQLite's temporary directory \(temporary ?? "?")" : "the warehouse \(warehouse)"
            return LoadKitError(.resourceIO,
                "I/O error: the operating system failed to read or write \(place); check the disk and file system "
                + "(dmesg, fsck), then run again; \(consequence(phase)) \(sqlite)")
        }
        return error
    }

    /// The folder where SQLite's unix VFS creates temporary files (TEMP tables, statement
    /// journals): the first of `SQLITE_TMPDIR`, `TMPDIR`, `/var/tmp`, `/usr/tmp`, `/tmp`, `.`
    /// that is a directory this process may write and search, or `nil` when none is.
    /// (`PRAGMA temp_store_directory`, deprecated, is not consulted; loadkit never sets it.)
    /// https://www.sqlite.org/tempfiles.html#temporary_file_storage_locations
    /// - Parameter environment: the variables to read (this process's by default).
    public static func temporaryDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let candidates = [environment["SQLITE_TMPDIR"], environment["TMPDIR"], "/var/tmp", "/usr/tmp", "/tmp", "."]
        for case let directory? in candidates {
            var info = stat()
            if stat(directory, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR && access(directory, W_OK | X_OK) == 0 {
                return directory
            }
        }
        return nil
    }

    /// What the fault left behind.
    private static func consequence(_ phase: Phase) -> String {
        switch phase {
        case .open: "nothing was written, the warehouse is as it was"
        case .staging: "nothing was written to the warehouse, it is as it was"
        case .commit: "the load was rolled back, the warehouse holds what it held before"
        case .runLog: "this run or attempt record was not written; loads already committed stay committed"
        }
    }

    /// Why `path` (a file, or a folder when it ends in `/.`) cannot be written, or `nil` when
    /// nothing says so.
    private static func readOnlyReason(_ path: String) -> String? {
        let directory = folder(of: path)
        var fs = statvfs()
        if statvfs(directory, &fs) == 0 && fs.f_flag & UInt(ST_RDONLY) != 0 {
            return "its file system is mounted read-only"
        }
        if FileManager.default.fileExists(atPath: path) && !path.hasSuffix("/.") && access(path, W_OK) != 0 {
            return "the file is read-only"
        }
        if access(directory, W_OK | X_OK) != 0 && (errno == EACCES || errno == EROFS || errno == EPERM) {
            return "its folder \(directory) is not writable, and SQLite creates its -wal and -shm files there"
        }
        return nil
    }

    private static func folder(of path: String) -> String {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return parent.isEmpty ? "." : parent
    }

    /// Bytes available to this process on the file system of `directory`, or `nil`.
    private static func availableBytes(_ directory: String) -> (bytes: UInt64, device: UInt64)? {
        var fs = statvfs()
        var info = stat()
        guard statvfs(directory, &fs) == 0, stat(directory, &info) == 0 else { return nil }
        return (UInt64(fs.f_bavail) * UInt64(fs.f_frsize), UInt64(info.st_dev))
    }

    /// `true` when the temporary directory is on another file system with less room than the
    /// warehouse's folder: then it, not the warehouse, is what filled up.
    private static func fullerIsTemporary(_ temporary: String?, than warehouseFolder: String) -> Bool {
        guard let temporary, let tmp = availableBytes(temporary), let wh = availableBytes(warehouseFolder) else {
            return false
        }
        return tmp.device != wh.device && tmp.bytes < wh.bytes
    }

    /// ` (12.0 KiB free)`, or nothing when unknown.
    private static func free(_ directory: String) -> String {
        guard let available = availableBytes(directory)?.bytes else { return "" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(available)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? " (\(available) bytes free)" : " (" + String(format: "%.1f", value) + " \(units[unit]) free)"
    }

    private static func seconds(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
