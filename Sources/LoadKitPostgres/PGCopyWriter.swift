import CLoadKitPQ
import LoadKit

/// Rows being sent by `COPY … FROM STDIN` in PostgreSQL's text format, made by
/// ``PGConnection/copy(_:_:)``; buffers about 64 KiB before each `PQputCopyData`, so the server
/// works on a partition's rows while the next ones are encoded.
///
/// A field is escaped as the text format asks: backslash, tab, newline and carriage return
/// become `\\`, `\t`, `\n`, `\r`; NULL is `\N`. PostgreSQL manual, COPY, "Text Format".
public final class PGCopyWriter {
    private let connection: PGConnection
    private let sql: String
    private var ended = false
    /// Whether the server's answer to the COPY statement (CopyInResponse) has been read; a
    /// deferred start (``PGConnection/beginCopy(_:deferred:)``) reads it before the first send.
    private var started: Bool
    private var buffer: [UInt8] = []
    private static let flushSize = 64 * 1024
    /// Rows written so far.
    public private(set) var rowCount = 0

    init(connection: PGConnection, sql: String, started: Bool) {
        self.connection = connection
        self.sql = sql
        self.started = started
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    /// Reads the server's answer to a deferred COPY statement, once.
    /// - Throws: ``PostgresError``: a statement before the COPY failed, or the COPY was refused.
    private func start() throws {
        guard !started else { return }
        started = true
        try connection.awaitCopyIn(sql: sql)
    }

    /// Appends one row of text fields (`nil` for NULL), in the COPY's column order.
    /// - Throws: ``PostgresError`` when the server or the connection fails mid-COPY.
    public func writeRow(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(0x09) }
            Self.append(field, to: &buffer)
        }
        buffer.append(0x0A)
        rowCount += 1
        if buffer.count >= Self.flushSize { try flush() }
    }

    /// Appends one row of ``LoadKit/Value``s in the COPY's column order, each written as
    /// ``PostgresValueCodec/encode(_:as:)`` does (a boolean's 0/1 as `false`/`true`, a double
    /// in Swift's shortest exact form), without building a `String` for integers.
    /// - Parameters:
    ///   - values: the row (a view valid during the call).
    ///   - types: the declared type of each column, as many as `values`.
    /// - Throws: ``PostgresError`` when the server or the connection fails mid-COPY.
    public func writeRow(values: UnsafeBufferPointer<Value>, types: [ColumnType]) throws {
        // The buffer is moved out for the row (no copy): one exclusivity check of the class
        // property a row instead of one per byte appended (about 5 % of a load's CPU).
        var buffer: [UInt8] = []
        swap(&buffer, &self.buffer)
        defer { swap(&buffer, &self.buffer) }
        for index in 0..<values.count {
            if index > 0 { buffer.append(0x09) }
            switch values[index] {
            case .null: buffer.append(contentsOf: [0x5C, 0x4E])
            case .integer(let integer):
                if types[index] == .boolean {
                    buffer.append(contentsOf: integer != 0 ? [0x74] : [0x66]) // t / f
                } else {
                    Self.appendDecimal(integer, to: &buffer)
                }
            case .real(let real): buffer.append(contentsOf: String(real).utf8)
            case .text(let text): Self.append(text, to: &buffer)
            }
        }
        buffer.append(0x0A)
        rowCount += 1
        if buffer.count >= Self.flushSize {
            swap(&buffer, &self.buffer)
            defer { swap(&buffer, &self.buffer) }
            try flush()
        }
    }

    /// Ends the COPY: sends what is buffered and returns the number of rows the server stored.
    /// - Throws: ``PostgresError``: the COPY's error (a data error in a row, 22xxx, is terminal).
    @discardableResult
    public func finish() throws -> Int {
        guard !ended else { return rowCount }
        var failure: Error?
        do {
            try start()
        } catch {
            // Refused before any row was sent: nothing to end.
            ended = true
            throw error
        }
        do { try flush() } catch { failure = error }
        ended = true
        let (stored, serverError) = connection.endCopy(sql: sql, failed: failure != nil)
        if let serverError { throw serverError }
        if let failure { throw failure }
        return stored
    }

    /// Ends the COPY with an error, so the server stores none of its rows. No error: the
    /// server's answer to an aborted COPY is the abort itself.
    public func abort() {
        guard !ended else { return }
        ended = true
        buffer.removeAll()
        // A deferred COPY refused by the server has nothing to end (its error is dropped here).
        guard (try? start()) != nil else { return }
        _ = connection.endCopy(sql: sql, failed: true)
    }

    /// Whether ``finish()`` or ``abort()`` ended the COPY.
    public var isEnded: Bool { ended }

    static func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
        if value == 0 { buffer.append(0x30); return }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while magnitude > 0 {
                raw[count] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { buffer.append(0x2D) }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[index]) }
        }
    }

    /// Sends what is buffered.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        try start()
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { pq.PQputCopyData(connection.handle, $0.baseAddress, Int32($0.count)) }
        }
        buffer.removeAll(keepingCapacity: true)
        if status != 1 { throw connection.error(from: nil, sql: nil) }
    }

    /// Appends one text-format field to `buffer`.
    static func append(_ field: String?, to buffer: inout [UInt8]) {
        guard let field else {
            buffer.append(contentsOf: [0x5C, 0x4E]) // \N
            return
        }
        for byte in field.utf8 {
            switch byte {
            case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
            case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
            case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
            default: buffer.append(byte)
            }
        }
    }
}

extension PGConnection {
    /// Runs a `COPY … FROM STDIN` statement and streams the rows `body` writes, then ends the
    /// COPY and returns the number of rows the server stored.
    ///
    /// When `body` throws, the COPY is ended with an error (`PQputCopyEnd` with a message), so
    /// the server stores none of it, and `body`'s error is rethrown. PostgreSQL manual §34.10
    /// "Functions Associated with the COPY Command".
    /// - Parameters:
    ///   - sql: `COPY table (columns) FROM STDIN` (text format, the default).
    ///   - body: writes the rows.
    /// - Throws: what `body` throws, or ``PostgresError`` (a data error in a row, 22xxx, is
    ///   terminal).
    @discardableResult
    public func copy(_ sql: String, _ body: (PGCopyWriter) throws -> Void) throws -> Int {
        let writer = try beginCopy(sql)
        do {
            try body(writer)
        } catch {
            writer.abort()
            throw error
        }
        return try writer.finish()
    }

    /// Starts a `COPY … FROM STDIN` whose rows the caller pushes (``PGCopyWriter/writeRow(_:)``,
    /// ``PGCopyWriter/writeRow(values:types:)``), then ends with ``PGCopyWriter/finish()`` or
    /// ``PGCopyWriter/abort()``. Until then the connection runs nothing else.
    /// - Throws: ``PostgresError`` when the server refuses the COPY.
    /// - Parameter deferred: send the statement and return at once, reading the server's answer
    ///   only before the first rows are sent (after about 64 KiB of them) or at the end: the
    ///   server runs the statement (and any before the COPY in `sql`, such as the `CREATE TABLE`
    ///   of the table it fills) while the caller encodes rows. Its error is then thrown by
    ///   ``PGCopyWriter/writeRow(values:types:)`` or ``PGCopyWriter/finish()``.
    public func beginCopy(_ sql: String, deferred: Bool = false) throws -> PGCopyWriter {
        if deferred {
            guard pq.PQsendQuery(handle, sql) == 1 else { throw error(from: nil, sql: sql) }
            return PGCopyWriter(connection: self, sql: sql, started: false)
        }
        let start = pq.PQexec(handle, sql)
        try check(start, sql: sql, accepting: [PGRES_COPY_IN])
        pq.PQclear(start)
        return PGCopyWriter(connection: self, sql: sql, started: true)
    }

    /// Reads the results of a statement sent by ``beginCopy(_:deferred:)`` up to its COPY's
    /// CopyInResponse. PostgreSQL manual §34.4 "Asynchronous Command Processing".
    /// - Throws: ``PostgresError``: the first failed statement's error (its results drained,
    ///   so the connection can run statements again).
    func awaitCopyIn(sql: String) throws {
        var failure: PostgresError?
        while let result = pq.PQgetResult(handle) {
            let status = pq.PQresultStatus(result)
            if status == PGRES_COPY_IN {
                pq.PQclear(result)
                guard failure != nil else { return }
                // Not reached (the server stops at the first failed statement); end it unused.
                _ = pq.PQputCopyEnd(handle, "loadkit: an earlier statement failed")
                continue
            }
            if status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && failure == nil {
                failure = error(from: result, sql: sql)
            }
            pq.PQclear(result)
        }
        throw failure ?? error(from: nil, sql: sql)
    }

    /// Ends the COPY in progress (`PQputCopyEnd`, with an error message when `failed`) and
    /// returns the rows stored and the first error of its results.
    func endCopy(sql: String, failed: Bool) -> (stored: Int, error: PostgresError?) {
        let ended = pq.PQputCopyEnd(handle, failed ? "loadkit: the load stopped before the end of its rows" : nil)
        var serverError: PostgresError?
        var stored = 0
        // Drain every result; the first non-success one is the COPY's error.
        while let result = pq.PQgetResult(handle) {
            let status = pq.PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                stored = Self.affectedRows(result)
            } else if serverError == nil {
                serverError = error(from: result, sql: sql)
            }
            pq.PQclear(result)
        }
        if serverError == nil, ended != 1 { serverError = error(from: nil, sql: sql) }
        return (stored, serverError)
    }
}
