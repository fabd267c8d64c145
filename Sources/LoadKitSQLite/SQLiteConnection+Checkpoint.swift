import CLoadKitSQLite
import Foundation
import LoadKit

/// When a commit runs the write-ahead log's checkpoint.
///
/// SQLite checkpoints from inside the commit that grows the log past 1,000 pages (16 MiB in a
/// warehouse of loadkit's 16 KiB pages):
/// it copies those pages into the database file and syncs both, a few milliseconds in which
/// the committing call has not returned. SQLite's own write lock is free by then, but a writer
/// of this process holds ``SQLiteWriteGate`` until its commit returns, so the other workers of
/// a backfill would wait for every checkpoint. A writer that holds the gate defers the
/// checkpoint (``deferringCheckpoints(_:)``) and runs it after leaving the gate
/// (``checkpointIfDue()``), beside the next writer's transaction, as SQLite allows: a
/// `PASSIVE` checkpoint never blocks writers. A log past 10,000 pages is checkpointed at once
/// even then, so it stays bounded whatever happens to the deferred ones.
/// https://www.sqlite.org/wal.html#ckpt, https://www.sqlite.org/c3ref/wal_hook.html
final class CheckpointPolicy {
    /// SQLite's default (`wal_autocheckpoint`), in pages.
    static let threshold: Int32 = 1_000
    /// The log size at which a deferring commit checkpoints anyway, in pages.
    static let ceiling: Int32 = 10_000
    var deferring = false
    var due = false

    /// Installs the policy as the connection's WAL hook, in place of SQLite's default
    /// autocheckpoint (which it reproduces when not deferring).
    func install(on handle: OpaquePointer) {
        sqlite3_wal_hook(handle, { context, db, name, frames in
            guard let context, let db else { return SQLITE_OK }
            let policy = Unmanaged<CheckpointPolicy>.fromOpaque(context).takeUnretainedValue()
            guard frames >= CheckpointPolicy.threshold else { return SQLITE_OK }
            if policy.deferring && frames < CheckpointPolicy.ceiling {
                policy.due = true
                return SQLITE_OK
            }
            policy.due = false
            // As SQLite's default hook: a passive checkpoint, whose BUSY is not an error of
            // the commit (the next commit past the threshold tries again).
            _ = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }
}

extension SQLiteConnection {
    /// Runs `body` (a transaction's commit) with the log's checkpoint deferred to
    /// ``checkpointIfDue()`` (see ``CheckpointPolicy``).
    func deferringCheckpoints<T>(_ body: () throws -> T) rethrows -> T {
        checkpoints.deferring = true
        defer { checkpoints.deferring = false }
        return try body()
    }

    /// Runs the checkpoint a deferring commit left due: `PASSIVE`, so it copies what no reader
    /// still needs and never waits for a writer. A checkpoint that cannot finish (a reader, an
    /// I/O error) leaves the log as it is, to be checkpointed by a later commit; the data is
    /// safe in the log either way.
    func checkpointIfDue() {
        guard checkpoints.due else { return }
        checkpoints.due = false
        _ = sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
}

extension SQLiteConnection {
    /// The `synchronous` setting (0 `OFF`, 1 `NORMAL`, 2 `FULL`, 3 `EXTRA`).
    /// https://www.sqlite.org/pragma.html#pragma_synchronous
    func synchronousLevel() throws -> Int64 {
        if case .integer(let level) = try scalar("PRAGMA synchronous") { return level }
        return 2
    }

    /// Syncs the main database's write-ahead log to disk (`fdatasync(2)`), making every
    /// transaction committed in it so far durable, as `synchronous=FULL` does inside each
    /// commit. A commit made with `synchronous=NORMAL` and then this is as durable as a
    /// `FULL` one once this returns: its frames, commit frame included, are in the log, and a
    /// log is only restarted over frames a checkpoint has copied into the synced database file.
    /// https://www.sqlite.org/wal.html
    /// - Throws: ``LoadKitError`` `.io` naming the log when it cannot be opened or synced.
    func syncWriteAheadLog() throws {
        guard let name = sqlite3_db_filename(handle, "main"), name.pointee != 0 else { return }
        let log = String(cString: name) + "-wal"
        let fd = open(log, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, fdatasync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw LoadKitError(.io, "the load was committed, but syncing the write-ahead log failed: \(reason); "
                + "it may not survive a power loss until the next commit or checkpoint syncs it",
                at: .init(file: log))
        }
        close(fd)
    }
}
