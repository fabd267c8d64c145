import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// `SQLiteResourceFault.explain`: which SQLite results become which resource errors, which of
/// them are retried, and which folder the message names. (The real faults, through the binary,
/// are in LoadKitCLITests/ResourceFaultTests.)
@Suite struct SQLiteResourceFaultTests {
    private func explain(_ error: SQLiteError, _ phase: SQLiteResourceFault.Phase, warehouse: String,
                         environment: [String: String] = [:]) throws -> LoadKitError {
        let explained = SQLiteResourceFault.explain(error, phase: phase, warehouse: warehouse,
                                                    busyTimeout: .milliseconds(1500), environment: environment)
        return try #require(explained as? LoadKitError)
    }

    @Test("BUSY beyond the busy timeout is resource.locked, transient, naming the file and the timeout")
    func busy() throws {
        let dir = try TemporaryDirectory()
        for code: Int32 in [5, 517] { // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT
            let error = try explain(SQLiteError(extendedCode: code, message: "database is locked", sql: "BEGIN IMMEDIATE"),
                                    .commit, warehouse: dir.path("w.db"))
            #expect(error.code == .resourceLocked)
            #expect(error.isTransient)
            #expect(RetryPolicy.isTransient(error))
            #expect(error.message.hasPrefix("locked: the warehouse \(dir.path("w.db")) is locked by another process"))
            #expect(error.message.contains("(1500 ms, lock_timeout in loadkit.yml)"))
            #expect(error.message.hasSuffix("(SQLite error \(code): database is locked)"))
        }
    }

    @Test("SQLITE_FULL while staging names SQLite's temporary directory; while committing, the warehouse's folder")
    func full() throws {
        let warehouse = try TemporaryDirectory()
        let temporary = try TemporaryDirectory()
        let full = SQLiteError(extendedCode: 13, message: "database or disk is full", systemErrno: ENOSPC)
        let staging = try explain(full, .staging, warehouse: warehouse.path("w.db"),
                                  environment: ["SQLITE_TMPDIR": temporary.root])
        #expect(staging.code == .diskFull)
        #expect(!staging.isTransient)
        #expect(staging.message.hasPrefix("disk full: no space left in \(temporary.root) ("))
        #expect(staging.message.contains("SQLite's temporary directory, where the load stages its rows in a TEMP table"))
        #expect(staging.message.hasSuffix("(SQLite error 13: database or disk is full, errno 28: No space left on device)"))

        let commit = try explain(full, .commit, warehouse: warehouse.path("w.db"),
                                 environment: ["SQLITE_TMPDIR": temporary.root])
        #expect(commit.message.hasPrefix("disk full: no space left in \(warehouse.root) ("))
        #expect(commit.message.contains("the load was rolled back, the warehouse holds what it held before"))

        let ioFull = try explain(SQLiteError(extendedCode: 778, message: "disk I/O error", systemErrno: ENOSPC),
                                 .runLog, warehouse: warehouse.path("w.db"))
        #expect(ioFull.code == .diskFull, "SQLITE_IOERR_WRITE with ENOSPC is a full disk")
    }

    @Test("READONLY is resource.read_only; CANTOPEN in a missing folder is resource.io saying so; other errors pass through")
    func otherCodes() throws {
        let dir = try TemporaryDirectory()
        let readOnly = try explain(SQLiteError(extendedCode: 8, message: "attempt to write a readonly database"),
                                   .commit, warehouse: dir.path("w.db"))
        #expect(readOnly.code == .readOnly)
        #expect(readOnly.message.hasPrefix("read-only: the warehouse \(dir.path("w.db")) cannot be written"))

        let missing = try explain(SQLiteError(extendedCode: 14, message: "unable to open database file"),
                                  .open, warehouse: dir.path("nope/w.db"))
        #expect(missing.code == .resourceIO)
        #expect(missing.message.hasPrefix("cannot open the warehouse \(dir.path("nope/w.db")): its folder "
            + "\(dir.path("nope")) does not exist"))

        let io = try explain(SQLiteError(extendedCode: 266, message: "disk I/O error", systemErrno: EIO),
                             .commit, warehouse: dir.path("w.db"))
        #expect(io.code == .resourceIO)
        #expect(!io.isTransient)

        let constraint = SQLiteError(extendedCode: 1555, message: "UNIQUE constraint failed")
        let passed = SQLiteResourceFault.explain(constraint, phase: .commit, warehouse: dir.path("w.db"),
                                                 busyTimeout: .seconds(1))
        #expect(passed as? SQLiteError == constraint)
    }

    @Test("The temporary directory is the first writable of SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp, .")
    func temporaryDirectory() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        #expect(SQLiteResourceFault.temporaryDirectory(environment: ["SQLITE_TMPDIR": first.root,
                                                                     "TMPDIR": second.root]) == first.root)
        #expect(SQLiteResourceFault.temporaryDirectory(environment: ["SQLITE_TMPDIR": first.path("absent"),
                                                                     "TMPDIR": second.root]) == second.root)
        let fallback = SQLiteResourceFault.temporaryDirectory(environment: [:])
        #expect(fallback.map { ["/var/tmp", "/usr/tmp", "/tmp", "."].contains($0) } == true)
    }
}
