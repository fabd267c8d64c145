import LoadKit

/// An error reported by PostgreSQL or libpq: the SQLSTATE, the server's (or libpq's) message and
/// detail, and the SQL text, never bound values nor a password.
///
/// Transient (``isTransient``, read by the runner's retry policy exactly as for `SQLiteError`):
/// class 08 (connection exception, including a connection lost mid-statement), 40001
/// (serialization failure), 40P01 (deadlock detected), 55P03 (lock not available: `lock_timeout`
/// or `NOWAIT`), 57P01/57P02/57P03 (admin shutdown, crash shutdown, cannot connect now) and 53
/// (insufficient resources). Everything else — data exceptions (class 22), integrity constraint
/// violations (class 23), syntax errors (class 42), a query cancelled by the user (57014) — is
/// terminal. PostgreSQL manual, Appendix A "PostgreSQL Error Codes".
public struct PostgresError: Error, Sendable, Equatable, RetryableError, CustomStringConvertible {
    /// The five-character SQLSTATE, for example `40P01`; `08006` when libpq lost the connection
    /// without one from the server, `08001` when a connection could not be made.
    public let sqlState: String
    /// The primary message (libpq's `PG_DIAG_MESSAGE_PRIMARY`, or `PQerrorMessage` trimmed).
    public let message: String
    /// The server's detail line (`PG_DIAG_MESSAGE_DETAIL`), for example `Key (id)=(1) is still
    /// referenced from table "notes".`; `nil` when it sent none.
    public let detail: String?
    /// The SQL text of the failing statement, if any; never with bound values.
    public let sql: String?

    /// Creates an error.
    /// - Parameters:
    ///   - sqlState: the SQLSTATE.
    ///   - message: what PostgreSQL or libpq said.
    ///   - detail: the server's detail line, if any.
    ///   - sql: the statement's SQL text.
    public init(sqlState: String, message: String, detail: String? = nil, sql: String? = nil) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.sql = sql
    }

    /// The SQLSTATE's class: its first two characters (`08`, `22`, `40`, …).
    public var sqlStateClass: Substring { sqlState.prefix(2) }

    /// Whether trying again may succeed (see the type's documentation for the list).
    public var isTransient: Bool {
        switch sqlStateClass {
        case "08", "53": return true
        case "40": return sqlState == "40001" || sqlState == "40P01"
        default: return ["55P03", "57P01", "57P02", "57P03"].contains(sqlState)
        }
    }

    /// `PostgreSQL error 42P01 (relation "t" does not exist) in: SELECT * FROM t`, the detail
    /// after the message when there is one (`(message; detail)`).
    public var description: String {
        var text = "PostgreSQL error \(sqlState) (\(message)\(detail.map { "; \($0)" } ?? ""))"
        if let sql { text += " in: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)" }
        return text
    }
}
