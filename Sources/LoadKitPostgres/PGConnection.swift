import CLoadKitPQ
import Foundation
import LoadKit

/// One connection to a PostgreSQL server; owns the libpq `PGconn*`.
///
/// Use a connection from one thread at a time, except ``cancel()``, which any thread (or a
/// signal handler's thread) may call. Statements use the text format for parameters and
/// results. No session state is relied on across transactions beyond the cache of prepared
/// statements (see ``execute(prepared:_:)``, off behind a pool in transaction mode:
/// ``preparesStatements``). PostgreSQL manual §34.1 "Database Connection Control Functions",
/// §34.3 "Command Execution Functions".
///
/// ```swift
/// let db = try PGConnection(uri: "postgresql://loadkit@127.0.0.1:5432/warehouse")
/// try db.transaction { try db.execute("INSERT INTO t VALUES ($1)", ["1"]) }
/// ```
public final class PGConnection {
    /// The raw handle, for the driver's other files.
    let handle: OpaquePointer
    /// libpq's cancel object for this connection (``cancel()``).
    private let cancelHandle: OpaquePointer?
    /// Where the connection went (host, port, database, user; never the password).
    public let target: PGConnectionTarget
    /// Names of the statements prepared on this connection, by SQL text.
    private var preparedNames: [String: String] = [:]
    /// Whether ``execute(prepared:_:)`` prepares its statements by name (the default); `false`
    /// behind a pool in transaction mode (``PostgresPoolMode/transaction``), whose next
    /// transaction may run on a server connection without them (PgBouncer before 1.21), or with
    /// another client's statement of the same name: then each runs unnamed, planned again.
    public var preparesStatements = true
    /// Whether every transaction is read-only without a session setting: a statement outside a
    /// transaction runs inside `BEGIN READ ONLY` … `COMMIT`, and a `BEGIN` is followed by `SET
    /// TRANSACTION READ ONLY`. For a reader behind a pool in transaction mode, where
    /// `SET default_transaction_read_only` would stay on the server connection for the pool's
    /// next client. PostgreSQL manual, SET TRANSACTION.
    public var readOnlyTransactions = false

    /// The default of libpq's `connect_timeout` when the URI sets none, in seconds: a server
    /// that cannot be reached fails the connection within this, never hangs.
    public static let defaultConnectTimeoutSeconds = 5

    /// Connects.
    ///
    /// - Parameters:
    ///   - uri: a libpq connection URI (`postgres://` or `postgresql://`) or `key=value`
    ///     string; libpq's `PG*` environment variables and `~/.pgpass` fill in what it leaves
    ///     out (PostgreSQL manual §34.1.1, §34.15, §34.16).
    ///   - connectTimeout: seconds to wait for the connection when `uri` sets no
    ///     `connect_timeout` (default ``defaultConnectTimeoutSeconds``).
    /// - Throws: ``PostgresError`` with SQLSTATE `08001` whose message names host, port,
    ///   database and libpq's reason; a password in the URI never appears in it.
    public init(uri: String, connectTimeout: Int = PGConnection.defaultConnectTimeoutSeconds) throws {
        // Key words are processed in order and the last value wins, so the URI (expanded from
        // `dbname`) overrides the default timeout. PostgreSQL manual §34.1, PQconnectdbParams.
        let libpq = try LibPQ.open()
        let keywords = ["connect_timeout", "fallback_application_name", "dbname"]
        let values = [String(connectTimeout), "loadkit", uri]
        let connection: OpaquePointer? = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                libpq.PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(sqlState: "08001", message: "cannot connect: libpq is out of memory")
        }
        let target = PGConnectionTarget(
            host: pq.PQhost(connection).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "(default)",
            port: pq.PQport(connection).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "(default)",
            database: pq.PQdb(connection).map { String(cString: $0) } ?? "(default)",
            user: pq.PQuser(connection).map { String(cString: $0) } ?? "(default)")
        guard pq.PQstatus(connection) == CONNECTION_OK else {
            var reason = Self.oneLine(pq.PQerrorMessage(connection).map { String(cString: $0) } ?? "unknown reason")
            // libpq may quote the URI itself (a malformed one): mask every password it holds.
            var passwords = Self.passwords(in: uri)
            if let password = pq.PQpass(connection).map({ String(cString: $0) }) { passwords.append(password) }
            for password in passwords where !password.isEmpty {
                reason = reason.replacingOccurrences(of: password, with: "***")
            }
            pq.PQfinish(connection)
            throw PostgresError(sqlState: "08001", message: "cannot connect to PostgreSQL at \(target): \(reason)")
        }
        self.handle = connection
        self.target = target
        self.cancelHandle = pq.PQgetCancel(connection)
        // Notices ("table does not exist, skipping") are not errors; libpq would print them to stderr.
        _ = pq.PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit {
        if let cancelHandle { pq.PQfreeCancel(cancelHandle) }
        pq.PQfinish(handle)
    }

    /// The server's version number, for example 150014 for 15.14 (`PQserverVersion`).
    public var serverVersion: Int { Int(pq.PQserverVersion(handle)) }

    /// Runs one statement (or, without parameters, several separated by `;`) and returns the
    /// number of rows it affected (0 for statements that affect none).
    /// - Parameters:
    ///   - sql: the statement; parameters are `$1`, `$2`, … (PostgreSQL manual §8, §34.3).
    ///   - parameters: text-format values, `nil` for NULL.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> Int {
        let result = try run(sql, parameters)
        defer { pq.PQclear(result) }
        return Self.affectedRows(result)
    }

    /// Runs a query and returns its rows, each value as text (`nil` for NULL).
    /// - Throws: ``PostgresError``.
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let result = try run(sql, parameters)
        defer { pq.PQclear(result) }
        return Self.rows(result)
    }

    /// The first column of the first row of a query, or `nil` when it returns no row or NULL.
    /// - Throws: ``PostgresError``.
    public func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        try query(sql, parameters).first?.first ?? nil
    }

    /// Runs `sql` as a prepared statement, preparing it on this connection the first time and
    /// reusing it after (`PQprepare` once, then `PQexecPrepared`); returns its rows.
    ///
    /// Behind PgBouncer in transaction mode a prepared statement may not outlive its
    /// transaction; use it there only within one transaction.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public func execute(prepared sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        guard preparesStatements else { return try query(sql, parameters) }
        return try readOnlyGuarded(sql) { try executePrepared(sql, parameters) }
    }

    private func executePrepared(_ sql: String, _ parameters: [String?]) throws -> [[String?]] {
        let name: String
        if let known = preparedNames[sql] {
            name = known
        } else {
            name = "loadkit_\(preparedNames.count + 1)"
            let prepared = pq.PQprepare(handle, name, sql, Int32(parameters.count), nil)
            try check(prepared, sql: sql)
            pq.PQclear(prepared)
            preparedNames[sql] = name
        }
        let result = withCStringArray(parameters) { values in
            pq.PQexecPrepared(handle, name, Int32(parameters.count), values, nil, nil, 0)
        }
        try check(result, sql: sql)
        defer { pq.PQclear(result!) }
        return Self.rows(result!)
    }

    /// How many statements ``execute(prepared:_:)`` has prepared on this connection.
    public var preparedStatementCount: Int { preparedNames.count }

    /// Asks the server to cancel the statement running on this connection; it then fails with
    /// SQLSTATE 57014. Safe from any thread while another uses the connection (`PQcancel`,
    /// PostgreSQL manual §34.7). Does nothing when nothing runs.
    public func cancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = pq.PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    // MARK: - Internals

    /// Sends a statement and returns its result, which the caller clears.
    private func run(_ sql: String, _ parameters: [String?]) throws -> OpaquePointer {
        try readOnlyGuarded(sql) { try send(sql, parameters) }
    }

    /// Runs `body` (which sends `sql`) read-only when ``readOnlyTransactions`` asks for it.
    func readOnlyGuarded<T>(_ sql: String, _ body: () throws -> T) throws -> T {
        guard readOnlyTransactions else { return try body() }
        if sql.range(of: #"^\s*(BEGIN|START\s+TRANSACTION)\b"#, options: [.regularExpression, .caseInsensitive]) != nil {
            let value = try body()
            pq.PQclear(try send("SET TRANSACTION READ ONLY", []))
            return value
        }
        guard pq.PQtransactionStatus(handle) == PQTRANS_IDLE else { return try body() }
        pq.PQclear(try send("BEGIN READ ONLY", []))
        do {
            let value = try body()
            pq.PQclear(try send("COMMIT", []))
            return value
        } catch {
            // The error wins; a rollback that fails leaves the transaction to the server, which
            // ends it with the connection.
            if let result = try? send("ROLLBACK", []) { pq.PQclear(result) }
            throw error
        }
    }

    /// Sends a statement as it is and returns its result, which the caller clears.
    private func send(_ sql: String, _ parameters: [String?]) throws -> OpaquePointer {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = pq.PQexec(handle, sql)
        } else {
            result = withCStringArray(parameters) { values in
                pq.PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
            }
        }
        try check(result, sql: sql)
        return result!
    }

    /// Throws the error `result` carries (clearing it), or returns when it succeeded.
    func check(_ result: OpaquePointer?, sql: String?, accepting accepted: [ExecStatusType] = [PGRES_COMMAND_OK, PGRES_TUPLES_OK]) throws {
        if let result, accepted.contains(pq.PQresultStatus(result)) { return }
        let error = self.error(from: result, sql: sql)
        if let result { pq.PQclear(result) }
        throw error
    }

    /// The error of a failed result (or of the connection, when there is no result).
    func error(from result: OpaquePointer?, sql: String?) -> PostgresError {
        let field = { (code: Character) -> String? in
            guard let result, let value = pq.PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let connectionMessage = Self.oneLine(pq.PQerrorMessage(handle).map { String(cString: $0) } ?? "")
        let message = field("M") ?? (connectionMessage.isEmpty ? "unknown error" : connectionMessage)
        let state = field("C") ?? (pq.PQstatus(handle) == CONNECTION_BAD ? "08006" : "XX000")
        return PostgresError(sqlState: state, message: message, detail: field("D").map(Self.oneLine), sql: sql)
    }

    static func affectedRows(_ result: OpaquePointer) -> Int {
        guard let text = pq.PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    static func rows(_ result: OpaquePointer) -> [[String?]] {
        let rowCount = pq.PQntuples(result), columnCount = pq.PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                pq.PQgetisnull(result, row, column) == 1 ? nil : String(cString: pq.PQgetvalue(result, row, column))
            })
        }
        return rows
    }

    /// The passwords written in a connection string: a URI's userinfo password (`user:pw@`),
    /// `password=` parameters of its query or of a `key=value` string; as written and decoded.
    static func passwords(in uri: String) -> [String] {
        var found: [String] = []
        if let scheme = uri.range(of: "://") {
            let rest = uri[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        for separator in ["&", "?", " "] {
            for piece in uri.components(separatedBy: separator) {
                guard let range = piece.range(of: "password=", options: .caseInsensitive) else { continue }
                found.append(String(piece[range.upperBound...].prefix { $0 != "&" && $0 != " " }))
            }
        }
        return found + found.compactMap { $0.removingPercentEncoding }.filter { !found.contains($0) }
    }

    /// libpq's multi-line messages joined into one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

/// Calls `body` with a C array of the strings (NULL for `nil`), valid only during the call.
func withCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    var pointers = copies.map { UnsafePointer($0) } + [nil]
    return try pointers.withUnsafeMutableBufferPointer { try body(UnsafePointer($0.baseAddress!)) }
}
