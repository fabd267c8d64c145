import CLoadKitPQ

/// Rows being sent by `COPY … FROM STDIN` in PostgreSQL's text format, made by
/// ``PGConnection/copy(_:_:)``; buffers about 256 KiB before each `PQputCopyData`.
///
/// A field is escaped as the text format asks: backslash, tab, newline and carriage return
/// become `\\`, `\t`, `\n`, `\r`; NULL is `\N`. PostgreSQL manual, COPY, "Text Format".
public final class PGCopyWriter {
    private let connection: PGConnection
    private var buffer: [UInt8] = []
    private static let flushSize = 256 * 1024
    /// Rows written so far.
    public private(set) var rowCount = 0

    init(connection: PGConnection) {
        self.connection = connection
        buffer.reserveCapacity(Self.flushSize + 4096)
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

    /// Sends what is buffered.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection.handle, $0.baseAddress, Int32($0.count)) }
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
        let start = PQexec(handle, sql)
        try check(start, sql: sql, accepting: [PGRES_COPY_IN])
        PQclear(start)
        let writer = PGCopyWriter(connection: self)
        var failure: Error?
        do {
            try body(writer)
            try writer.flush()
        } catch {
            failure = error
        }
        let ended = PQputCopyEnd(handle, failure == nil ? nil : "loadkit: the load stopped before the end of its rows")
        // Drain every result; the first non-success one is the COPY's error.
        var serverError: PostgresError?
        var stored = 0
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                stored = Self.affectedRows(result)
            } else if serverError == nil {
                serverError = error(from: result, sql: sql)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        if ended != 1 { throw error(from: nil, sql: sql) }
        return stored
    }
}
