import CLoadKitSQLite
import Foundation
import LoadKit

/// One connection to a SQLite database file; owns the `sqlite3*` handle.
///
/// Use a connection from one thread at a time (it is opened with `SQLITE_OPEN_NOMUTEX`); give
/// each worker its own. On open it turns on extended result codes, sets the busy timeout, and
/// for a writable file database switches to WAL journaling with `synchronous=FULL`, so readers
/// never block the writer and a committed transaction survives a crash of the process or the
/// machine. See https://www.sqlite.org/c3ref/open.html and https://www.sqlite.org/wal.html.
///
/// ```swift
/// let db = try SQLiteConnection(path: "warehouse.db")
/// try db.transaction { try db.execute("INSERT INTO t VALUES (1)") }
/// ```
public final class SQLiteConnection {
    /// How a database is opened.
    public enum OpenMode: Sendable {
        /// Read only; the file must exist.
        case readOnly
        /// Read and write; the file must exist.
        case readWrite
        /// Read and write, creating the file when absent.
        case readWriteCreate
    }

    /// The path given at open (`:memory:` for an in-memory database).
    public let path: String
    /// The raw handle, for the driver's statements.
    let handle: OpaquePointer
    /// How long a statement waits for another connection's lock before it fails with
    /// `SQLITE_BUSY` (set at open and by ``setBusyTimeout(_:)``), for messages that say how
    /// long loadkit waited.
    public private(set) var busyTimeout: Duration

    /// The busy handler's state (``setBusyTimeout(_:)``), owned by the connection.
    private final class BusyWait {
        var timeoutNanoseconds: UInt64 = 0
        var started: UInt64 = 0
    }
    private let busyWait = BusyWait()
    /// When this connection's commits checkpoint the write-ahead log (``CheckpointPolicy``).
    let checkpoints = CheckpointPolicy()

    /// Process-wide SQLite settings, applied once before the first connection opens.
    private static let configured: Void = { _ = cloadkit_sqlite_disable_memstatus() }()

    /// Opens a database.
    ///
    /// - Parameters:
    ///   - path: a file path, or `:memory:`.
    ///   - mode: read-only, read-write, or read-write-create (the default).
    ///   - busyTimeout: how long a statement waits for another connection's lock before it fails
    ///     with `SQLITE_BUSY` (default 60 s). https://www.sqlite.org/c3ref/busy_timeout.html
    ///   - walJournal: use WAL journaling for a writable file database (default `true`).
    ///   - pageSize: the page size in bytes (a power of two, 512–65,536) of a database this
    ///     open creates; an existing database keeps its own. `nil`: SQLite's default (4,096).
    ///     https://www.sqlite.org/pragma.html#pragma_page_size
    /// - Throws: ``SQLiteError`` when the file cannot be opened or configured.
    public init(path: String, mode: OpenMode = .readWriteCreate,
                busyTimeout: Duration = .seconds(60), walJournal: Bool = true, pageSize: Int? = nil) throws {
        _ = Self.configured
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let error = SQLiteError.last(on: db, code: code, sql: nil)
            sqlite3_close_v2(db)
            throw SQLiteError(extendedCode: error.extendedCode,
                              message: "cannot open '\(path)': \(error.message)", systemErrno: error.systemErrno)
        }
        self.path = path
        self.handle = db
        self.busyTimeout = busyTimeout
        sqlite3_extended_result_codes(db, 1)
        setBusyTimeout(busyTimeout)
        if walJournal && mode != .readOnly && path != ":memory:" && !path.isEmpty {
            // Only before the first write (which switching to WAL is) does it take effect.
            if let pageSize { try execute("PRAGMA page_size=\(pageSize)") }
            try enableWAL(busyTimeout: busyTimeout)
            try execute("PRAGMA synchronous=FULL")
            checkpoints.install(on: db)
        }
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Switches a rollback-journal database to WAL. The switch needs an exclusive lock, and
    /// SQLite does not call the busy handler for it, so while another connection writes (for
    /// example another process creating the same warehouse) it is retried here until
    /// `busyTimeout`. A database already in WAL mode needs no lock and no retry.
    /// https://www.sqlite.org/pragma.html#pragma_journal_mode
    private func enableWAL(busyTimeout: Duration) throws {
        if try scalar("PRAGMA journal_mode") == .text("wal") { return }
        let clock = ContinuousClock()
        let deadline = clock.now + busyTimeout
        while true {
            do {
                try execute("PRAGMA journal_mode=WAL")
                return
            } catch let error as SQLiteError where error.isTransient && clock.now < deadline {
                sqlite3_sleep(10)
            }
        }
    }

    /// Sets how long statements wait for other connections' locks.
    ///
    /// Like `sqlite3_busy_timeout`, but retrying every millisecond (the first few times every
    /// 100 µs) instead of SQLite's back-off of up to 100 ms between tries: a load that waits for
    /// another load's write transaction starts within a millisecond of that commit, not up to
    /// 100 ms later, which matters when transactions take a few milliseconds each (a backfill's
    /// workers taking turns). https://www.sqlite.org/c3ref/busy_handler.html
    public func setBusyTimeout(_ timeout: Duration) {
        busyTimeout = timeout
        let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        busyWait.timeoutNanoseconds = UInt64(clamping: ms) &* 1_000_000
        guard ms > 0 else {
            sqlite3_busy_timeout(handle, 0)
            return
        }
        sqlite3_busy_handler(handle, { context, count in
            guard let context else { return 0 }
            let wait = Unmanaged<BusyWait>.fromOpaque(context).takeUnretainedValue()
            let now = DispatchTime.now().uptimeNanoseconds
            if count == 0 { wait.started = now }
            if now &- wait.started >= wait.timeoutNanoseconds { return 0 }
            usleep(count < 10 ? 100 : 1000)
            return 1
        }, Unmanaged.passUnretained(busyWait).toOpaque())
    }

    /// Runs one or more SQL statements with no parameters and no result rows (DDL, pragmas).
    /// - Throws: ``SQLiteError`` naming the SQL. https://www.sqlite.org/c3ref/exec.html
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) }
            sqlite3_free(errorMessage)
            let error = SQLiteError.last(on: handle, code: code, sql: sql)
            throw SQLiteError(extendedCode: error.extendedCode, message: message ?? error.message, sql: sql,
                              systemErrno: error.systemErrno, offset: error.offset)
        }
    }

    /// Prepares one statement for repeated use.
    /// - Throws: ``SQLiteError`` for a syntax error or an unknown table or column.
    ///   https://www.sqlite.org/c3ref/prepare.html
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// Runs a statement with `bindings` and returns all its rows, each as values in column order.
    /// - Throws: ``SQLiteError``.
    public func query(_ sql: String, _ bindings: [Value] = []) throws -> [[Value]] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [[Value]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// The first column of the first row of a query, or `nil` when it returns no row.
    /// - Throws: ``SQLiteError``.
    public func scalar(_ sql: String, _ bindings: [Value] = []) throws -> Value? {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        return try statement.step() ? statement.column(0) : nil
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE. https://www.sqlite.org/c3ref/changes.html
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the last row inserted on this connection. https://www.sqlite.org/c3ref/last_insert_rowid.html
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Makes the statement running on this connection fail with `SQLITE_INTERRUPT` (an open
    /// transaction is rolled back by SQLite); does nothing when none runs. The one method that
    /// may be called from another thread while the connection is in use, as long as the
    /// connection is open. A wait for another connection's lock (the busy handler) is not
    /// interrupted: it ends at the busy timeout. https://www.sqlite.org/c3ref/interrupt.html
    public func interrupt() {
        sqlite3_interrupt(handle)
    }

    /// `true` when no transaction is open. https://www.sqlite.org/c3ref/get_autocommit.html
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
}
