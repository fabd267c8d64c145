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

    /// Creates an error.
    /// - Parameters:
    ///   - extendedCode: the extended result code.
    ///   - message: what SQLite said.
    ///   - sql: the statement's SQL text.
    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
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
        // sqlite3_errmsg can lag behind for some API calls; prefer the code actually returned.
        return SQLiteError(extendedCode: extended & 0xFF == code & 0xFF ? extended : code,
                           message: message, sql: sql)
    }
}
