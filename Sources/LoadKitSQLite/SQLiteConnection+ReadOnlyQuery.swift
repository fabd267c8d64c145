import CLoadKitSQLite
import LoadKit

extension SQLiteConnection {
    /// Prepares `sql` after proving, with SQLite's own answers, that it is exactly one read-only
    /// query: the rule for a transform's SQL (SPEC G7).
    ///
    /// No keyword scan decides anything. The SQL is prepared with `sqlite3_prepare_v3` while an
    /// authorizer is installed on the connection (only for the prepare calls) that allows
    /// `SQLITE_SELECT`, `SQLITE_READ`, `SQLITE_FUNCTION` and `SQLITE_RECURSIVE` and denies every
    /// other action: INSERT, UPDATE, DELETE (also inside a trigger or with RETURNING), CREATE,
    /// DROP, ALTER, PRAGMA (reads too: some pragmas act while being prepared), ATTACH, DETACH,
    /// BEGIN, COMMIT, SAVEPOINT, REINDEX, ANALYZE. Then the statement must be one:
    /// - the text after it holds no other statement (it is prepared too: SQLite returning no
    ///   statement means only whitespace, comments or semicolons follow);
    /// - `sqlite3_stmt_isexplain` is 0 (no `EXPLAIN`);
    /// - `sqlite3_stmt_readonly` is true (this also catches `VACUUM`, which has no authorizer
    ///   action);
    /// - `sqlite3_column_count` is above 0 (it returns rows).
    ///
    /// Nothing runs: a refused statement is finalized without a step. A trailing semicolon and
    /// trailing comments are allowed. The returned statement has not been stepped; bind
    /// `:partition` (or other parameters) and step it as usual.
    ///
    /// ```swift
    /// let statement = try db.prepareReadOnlyQuery("SELECT carrier, count(*) FROM flights GROUP BY carrier")
    /// while try statement.step() { print(statement.row()) }
    /// ```
    ///
    /// - Parameter sql: the query, UTF-8 text.
    /// - Returns: the prepared query, ready to bind and step.
    /// - Throws: ``LoadKitError`` `.transformNotReadOnly` (terminal) saying why in plain words,
    ///   for example `DELETE … RETURNING writes to table events`, `PRAGMA is not allowed
    ///   (PRAGMA journal_mode=DELETE)`, `ATTACH is not allowed`, `a second statement follows the
    ///   query: DELETE FROM events`; ``SQLiteError`` when SQLite cannot compile the SQL (a
    ///   syntax error, `no such table: X`, `no such column: Y`), with ``SQLiteError/offset``
    ///   pointing at the token.
    ///   https://www.sqlite.org/c3ref/prepare.html, https://www.sqlite.org/c3ref/set_authorizer.html,
    ///   https://www.sqlite.org/c3ref/stmt_readonly.html, https://www.sqlite.org/c3ref/stmt_isexplain.html
    public func prepareReadOnlyQuery(_ sql: String) throws -> SQLiteStatement {
        try prepareReadOnlyQuery(sql, tablesRead: { _ in })
    }

    /// ``prepareReadOnlyQuery(_:)``, also telling `tablesRead` which tables the query reads (as
    /// SQLite's authorizer reports them: `SQLITE_READ` per table, names as written in the
    /// schema), so a caller can check them against its declared dependencies.
    public func prepareReadOnlyQuery(_ sql: String, tablesRead: (Set<String>) -> Void) throws -> SQLiteStatement {
        let guardian = ReadOnlyQueryGuard()
        let context = Unmanaged.passRetained(guardian)
        sqlite3_set_authorizer(handle, { context, action, first, second, _, _ in
            guard let context else { return SQLITE_DENY }
            return Unmanaged<ReadOnlyQueryGuard>.fromOpaque(context).takeUnretainedValue()
                .decide(action, first.map { String(cString: $0) }, second.map { String(cString: $0) })
        }, context.toOpaque())
        defer {
            sqlite3_set_authorizer(handle, nil, nil)
            context.release()
        }
        let text = Array(sql.utf8CString)
        return try text.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            var statement: OpaquePointer?
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(handle, base, Int32(buffer.count), 0, &statement, &tail)
            guard code == SQLITE_OK else {
                sqlite3_finalize(statement)
                let error = SQLiteError.last(on: handle, code: code, sql: sql)
                if let denied = guardian.denied { throw refusal(for: denied, sql: buffer, guardian: guardian) }
                if let refused = Self.refusalForSyntaxError(error) { throw refused }
                throw error
            }
            guard let statement else {
                throw Self.refused("the SQL holds no statement, only whitespace or comments")
            }
            var keep = false
            defer { if !keep { sqlite3_finalize(statement) } }
            // Whatever follows must prepare to nothing (whitespace, comments, semicolons).
            var rest = tail
            while let start = rest, start.pointee != 0 {
                var next: OpaquePointer?
                var nextTail: UnsafePointer<CChar>?
                let nextCode = sqlite3_prepare_v3(handle, start, -1, 0, &next, &nextTail)
                if nextCode != SQLITE_OK || next != nil {
                    sqlite3_finalize(next)
                    throw Self.refused("a second statement follows the query: "
                        + Self.excerpt(String(cString: start).drop { $0 == ";" || $0.isWhitespace }))
                }
                guard let nextTail, nextTail != start else { break }
                rest = nextTail
            }
            let excerpt = Self.excerpt(Substring(sql))
            if sqlite3_stmt_isexplain(statement) != 0 {
                throw Self.refused("EXPLAIN is not allowed")
            }
            if sqlite3_stmt_readonly(statement) == 0 {
                throw Self.refused("the statement writes to the database: \(excerpt)")
            }
            if sqlite3_column_count(statement) == 0 {
                throw Self.refused("the statement returns no columns: \(excerpt)")
            }
            keep = true
            tablesRead(guardian.tablesRead)
            return SQLiteStatement(connection: self, handle: statement, sql: sql)
        }
    }

    /// The refusal for the first action the authorizer denied. A denied write is prepared once
    /// more with writes allowed (still never run), only to learn whether it has a RETURNING
    /// clause (it then returns columns), so the message can say `DELETE … RETURNING`.
    private func refusal(for denied: ReadOnlyQueryGuard.Denied, sql: UnsafeBufferPointer<CChar>,
                         guardian: ReadOnlyQueryGuard) -> LoadKitError {
        guard let verb = denied.writeVerb, let table = denied.first else {
            return Self.refused(denied.reason)
        }
        guardian.allowWrites = true
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql.baseAddress, Int32(sql.count), 0, &statement, nil)
        let returning = code == SQLITE_OK && statement.map { sqlite3_column_count($0) > 0 } == true
        sqlite3_finalize(statement)
        return Self.refused("\(verb)\(returning ? " … RETURNING" : "") writes to table \(table)")
    }

    /// SQLite refuses some writes with a syntax error, for example a DELETE inside WITH
    /// (`near "DELETE": syntax error`): said in plain words when the token SQLite names is a
    /// statement keyword that has no place in a query.
    private static func refusalForSyntaxError(_ error: SQLiteError) -> LoadKitError? {
        let message = error.message
        guard message.hasPrefix("near \""), message.hasSuffix("\": syntax error") else { return nil }
        let token = String(message.dropFirst(6).dropLast(15))
        let statementKeywords: Set<String> = ["INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "CREATE", "DROP",
                                              "ALTER", "PRAGMA", "ATTACH", "DETACH", "VACUUM", "REINDEX",
                                              "ANALYZE", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT",
                                              "RELEASE"]
        guard statementKeywords.contains(token.uppercased()) else { return nil }
        let position = error.offset.map { " at byte \($0 + 1)" } ?? ""
        return refused("\(token.uppercased()) is not allowed in a query (SQLite: \(message)\(position)); "
            + "SQLite allows no INSERT, UPDATE or DELETE inside WITH")
    }

    private static func refused(_ reason: String) -> LoadKitError {
        LoadKitError(.transformNotReadOnly,
                     reason + "; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)")
    }

    /// The first line of `text`, trimmed, at most 80 characters.
    private static func excerpt(_ text: Substring) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingWhitespace() } ?? ""
        return line.count > 80 ? line.prefix(80) + "…" : line
    }
}

private extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}

/// The authorizer's state while a query is prepared: the first action it denied.
/// https://www.sqlite.org/c3ref/c_alter_table.html
final class ReadOnlyQueryGuard {
    /// An action the authorizer denied, with its two arguments as SQLite passed them.
    struct Denied {
        var action: Int32
        var first: String?
        var second: String?

        /// `INSERT`, `UPDATE` or `DELETE` for a row write, else `nil`.
        var writeVerb: String? {
            switch action {
            case SQLITE_INSERT: "INSERT"
            case SQLITE_UPDATE: "UPDATE"
            case SQLITE_DELETE: "DELETE"
            default: nil
            }
        }

        /// What the action is, in plain words.
        var reason: String {
            let name = first ?? "?"
            switch action {
            case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE: return "\(writeVerb!) writes to table \(name)"
            case SQLITE_PRAGMA:
                return "PRAGMA is not allowed (PRAGMA \(name)\(second.map { "=\($0)" } ?? ""))"
            case SQLITE_ATTACH: return "ATTACH is not allowed"
            case SQLITE_DETACH: return "DETACH is not allowed"
            case SQLITE_TRANSACTION:
                return "\(name) is not allowed: a transform runs inside its load's own transaction"
            case SQLITE_SAVEPOINT: return "SAVEPOINT is not allowed: a transform runs inside its load's own transaction"
            case SQLITE_CREATE_INDEX: return "CREATE INDEX \(name) is not allowed"
            case SQLITE_CREATE_TABLE: return "CREATE TABLE \(name) is not allowed"
            case SQLITE_CREATE_TEMP_INDEX: return "CREATE TEMP INDEX \(name) is not allowed"
            case SQLITE_CREATE_TEMP_TABLE: return "CREATE TEMP TABLE \(name) is not allowed"
            case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE TEMP TRIGGER \(name) is not allowed"
            case SQLITE_CREATE_TEMP_VIEW: return "CREATE TEMP VIEW \(name) is not allowed"
            case SQLITE_CREATE_TRIGGER: return "CREATE TRIGGER \(name) is not allowed"
            case SQLITE_CREATE_VIEW: return "CREATE VIEW \(name) is not allowed"
            case SQLITE_CREATE_VTABLE: return "CREATE VIRTUAL TABLE \(name) is not allowed"
            case SQLITE_DROP_INDEX, SQLITE_DROP_TEMP_INDEX: return "DROP INDEX \(name) is not allowed"
            case SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_TABLE: return "DROP TABLE \(name) is not allowed"
            case SQLITE_DROP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER: return "DROP TRIGGER \(name) is not allowed"
            case SQLITE_DROP_VIEW, SQLITE_DROP_TEMP_VIEW: return "DROP VIEW \(name) is not allowed"
            case SQLITE_DROP_VTABLE: return "DROP VIRTUAL TABLE \(name) is not allowed"
            case SQLITE_ALTER_TABLE: return "ALTER TABLE \(second ?? name) is not allowed"
            case SQLITE_REINDEX: return "REINDEX is not allowed"
            case SQLITE_ANALYZE: return "ANALYZE is not allowed"
            default: return "SQLite action \(action) is not allowed"
            }
        }
    }

    /// The first denied action, if any.
    private(set) var denied: Denied?
    /// The tables the statement reads (SQLite's internal `sqlite_…` tables left out).
    private(set) var tablesRead = Set<String>()
    /// Allows INSERT, UPDATE and DELETE too: only for preparing a refused write once more, to
    /// read its column count; such a statement is never stepped.
    var allowWrites = false

    /// The authorizer's answer: `SQLITE_OK` for reading, `SQLITE_DENY` for anything else, except
    /// SQLite's internal objects (`sqlite_…`), whose writes come before the statement's own
    /// action (a `DROP TABLE` first deletes from `sqlite_schema`).
    func decide(_ action: Int32, _ first: String?, _ second: String?) -> Int32 {
        switch action {
        case SQLITE_READ:
            if let first, !first.hasPrefix("sqlite_") { tablesRead.insert(first) }
            return SQLITE_OK
        case SQLITE_SELECT, SQLITE_FUNCTION, SQLITE_RECURSIVE:
            return SQLITE_OK
        case SQLITE_INSERT where allowWrites, SQLITE_UPDATE where allowWrites, SQLITE_DELETE where allowWrites:
            return SQLITE_OK
        case _ where first?.hasPrefix("sqlite_") == true && action != SQLITE_PRAGMA:
            // SQLite's own bookkeeping (sqlite_schema, sqlite_stat1, …), checked before the
            // statement's own action: let that action be the one denied and named. Users cannot
            // create or write these objects, so nothing passes here that is not denied next or
            // refused by sqlite3_stmt_readonly; and a prepare runs nothing.
            return SQLITE_OK
        default:
            if denied == nil { denied = Denied(action: action, first: first, second: second) }
            return SQLITE_DENY
        }
    }
}
