import CLoadKitSQLite
import LoadKit

/// An error reported by SQLite: the extended result code, SQLite's message, and the SQL text.
///
/// Bound values are never included (they may be data). BUSY and LOCKED are transient — another
/// connection holds a lock, so waiting and trying again can succeed; everything else is terminal.
/// See https://www.sqlite.org/rescode.html.
public struct SQLiteError: Error, Sendable, Equatable, RetryableError, CustomStringConvertible {
    /// The extended result code, for example 517 (`SQLITE_BUSY_SNAPSHOT`).
    public let extendedCode: Int32
    /// SQLite's message (`sqlite3_errmsg`), or a message of loadkit's own for misuse.
    public let message: String
    /// The SQL text of the failing statement, if any; never with bound values.
    public let sql: String?
    /// The operating system's `errno` behind the error (for example 28, `ENOSPC`, behind
    /// `SQLITE_FULL`), or 0 when SQLite reported none. https://www.sqlite.org/c3ref/system_errno.html
    public let systemErrno: Int32
    /// The 0-based byte offset in ``sql`` of the token the error is about (a syntax error, an
    /// unknown table), or `nil` when SQLite gave none. https://www.sqlite.org/c3ref/errcode.html
    public let offset: Int?

    /// Creates an error.
    /// - Parameters:
    ///   - extendedCode: the extended result code.
    ///   - message: what SQLite said.
    ///   - sql: the statement's SQL text.
    ///   - systemErrno: the `errno` behind it, 0 when none.
    ///   - offset: the byte offset in `sql` of the token in error.
    public init(extendedCode: Int32, message: String, sql: String? = nil, systemErrno: Int32 = 0,
                offset: Int? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.systemErrno = systemErrno
        self.offset = offset
    }

    /// The primary result code: the low 8 bits of the extended code (for example 5, `SQLITE_BUSY`).
    public var primaryCode: Int32 { extendedCode & 0xFF }

    /// `true` for `SQLITE_BUSY` and `SQLITE_LOCKED` and their extended codes.
    public var isTransient: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// `SQLite error 5 (database is locked) in: BEGIN IMMEDIATE`.
    public var description: String {
        var text = "SQLite error \(extendedCode) (\(message))"
        if let sql { text += " in: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)" }
        return text
    }

    /// The error SQLite has recorded on `db`, for a call that returned `code`.
    static func last(on db: OpaquePointer?, code: Int32, sql: String?) -> SQLiteError {
        let extended = db.map { sqlite3_extended_errcode($0) } ?? code
        let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        let offset = db.map { sqlite3_error_offset($0) } ?? -1
        // sqlite3_errmsg can lag behind for some API calls; prefer the code actually returned.
        return SQLiteError(extendedCode: extended & 0xFF == code & 0xFF ? extended : code,
                           message: message, sql: sql, systemErrno: db.map { sqlite3_system_errno($0) } ?? 0,
                           offset: offset >= 0 ? Int(offset) : nil)
    }
}
