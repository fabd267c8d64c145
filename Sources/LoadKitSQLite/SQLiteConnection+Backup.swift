import CLoadKitSQLite

extension SQLiteConnection {
    /// Copies this whole database into `destination` with SQLite's online backup API, replacing
    /// what `destination` held. The copy is a consistent snapshot even while other connections
    /// write (https://www.sqlite.org/backup.html, https://www.sqlite.org/c3ref/backup_finish.html).
    ///
    /// - Parameter destination: an open connection to the target database (for example a
    ///   scratch file used by `verify`).
    /// - Throws: ``SQLiteError`` from the destination when the copy fails; a busy source or
    ///   destination is transient.
    public func backup(to destination: SQLiteConnection) throws {
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw SQLiteError.last(on: destination.handle, code: sqlite3_errcode(destination.handle), sql: nil)
        }
        var code: Int32
        repeat {
            code = sqlite3_backup_step(backup, -1)
            if code == SQLITE_BUSY || code == SQLITE_LOCKED { sqlite3_sleep(5) }
        } while code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        if code != SQLITE_DONE || finish != SQLITE_OK {
            throw SQLiteError.last(on: destination.handle, code: code != SQLITE_DONE ? code : finish, sql: nil)
        }
    }
}
