import CLoadKitSQLite
import LoadKit

/// A prepared statement; owns the `sqlite3_stmt*` and finalizes it in `deinit`.
///
/// Prepare once, then for each row: ``reset()``, bind, ``step()``. Parameters are 1-based, as
/// in SQLite. Text is bound with `SQLITE_TRANSIENT`, so SQLite copies it and the caller's
/// buffer may change right after the call. https://www.sqlite.org/c3ref/stmt.html
public final class SQLiteStatement {
    /// The SQL text, for errors.
    public let sql: String
    private let connection: SQLiteConnection
    let handle: OpaquePointer

    private static let transient = cloadkit_sqlite_transient()

    init(connection: SQLiteConnection, sql: String) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError.last(on: connection.handle, code: code, sql: sql)
        }
        self.sql = sql
        self.connection = connection
        self.handle = statement
    }

    /// Takes ownership of a statement prepared elsewhere in the driver.
    init(connection: SQLiteConnection, handle: OpaquePointer, sql: String) {
        self.sql = sql
        self.connection = connection
        self.handle = handle
    }

    deinit { sqlite3_finalize(handle) }

    /// The number of `?` parameters.
    public var parameterCount: Int32 { sqlite3_bind_parameter_count(handle) }

    /// Binds `value` to the 1-based parameter `index`.
    /// - Throws: ``SQLiteError`` (`SQLITE_RANGE` for a bad index).
    @inline(__always)
    public func bind(_ value: Value, at index: Int32) throws {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
        case .real(let v): code = sqlite3_bind_double(handle, index, v)
        case .text(var v):
            code = v.withUTF8 { bindText(UnsafeRawBufferPointer($0), at: index) }
        }
        if code != SQLITE_OK { throw SQLiteError.last(on: connection.handle, code: code, sql: sql) }
    }

    /// Binds UTF-8 bytes as text to the 1-based parameter `index`; SQLite copies them.
    /// - Returns: SQLite's result code.
    @inline(__always)
    private func bindText(_ bytes: UnsafeRawBufferPointer, at index: Int32) -> Int32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return sqlite3_bind_text(handle, index, "", 0, Self.transient)
        }
        return sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self),
                                 Int32(bytes.count), Self.transient)
    }

    /// Binds one row of values to parameters 1...`row.count`, the hot path of the writers:
    /// every text value's UTF-8 bytes are copied once into `scratch` and bound from there with
    /// `SQLITE_STATIC`, so SQLite makes no copy of its own (no allocation per text value).
    ///
    /// The bound text stays valid until the next `bindRow` with the same `scratch`, which must
    /// rebind every parameter before the statement runs again (it does).
    /// https://www.sqlite.org/c3ref/bind_blob.html
    /// - Throws: ``SQLiteError`` (`SQLITE_RANGE` for a row wider than the statement).
    @inline(__always)
    func bindRow(_ row: UnsafeBufferPointer<Value>, scratch: RowTextBuffer) throws {
        var bytes = 0
        for value in row { if case .text(let v) = value { bytes += v.utf8.count } }
        let base = scratch.reserve(bytes)
        var offset = 0
        var index: Int32 = 1
        for value in row {
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .real(let v): code = sqlite3_bind_double(handle, index, v)
            case .text(let v):
                let at = base + offset
                // Borrowed, not copied: `withUTF8` would need a `var` copy (a retain) per value.
                let copy = { (utf8: UnsafeBufferPointer<UInt8>) -> Int in
                    if let source = utf8.baseAddress { at.copyMemory(from: source, byteCount: utf8.count) }
                    return utf8.count
                }
                let count = v.utf8.withContiguousStorageIfAvailable(copy) ?? Array(v.utf8).withUnsafeBufferPointer(copy)
                offset += count
                code = sqlite3_bind_text(handle, index, at.assumingMemoryBound(to: CChar.self), Int32(count), nil)
            }
            if code != SQLITE_OK { throw SQLiteError.last(on: connection.handle, code: code, sql: sql) }
            index += 1
        }
    }

    /// Binds `values` to parameters 1...n.
    /// - Throws: ``SQLiteError`` when the count does not match the statement.
    public func bind(_ values: [Value]) throws {
        guard values.count == Int(parameterCount) else {
            throw SQLiteError(extendedCode: SQLITE_RANGE,
                message: "\(values.count) values bound to a statement with \(parameterCount) parameters", sql: sql)
        }
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    /// Advances the statement.
    /// - Returns: `true` when a row is available, `false` when the statement is done.
    /// - Throws: ``SQLiteError`` (transient for BUSY and LOCKED). https://www.sqlite.org/c3ref/step.html
    @discardableResult
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        let error = SQLiteError.last(on: connection.handle, code: code, sql: sql)
        sqlite3_reset(handle)
        throw error
    }

    /// Resets the statement so it can run again; bindings are kept.
    public func reset() { sqlite3_reset(handle) }

    /// Sets every parameter back to NULL.
    public func clearBindings() { sqlite3_clear_bindings(handle) }

    /// Resets, binds `values`, and steps until done: one run of a statement without result rows.
    /// - Throws: ``SQLiteError``.
    public func execute(_ values: [Value] = []) throws {
        reset()
        try bind(values)
        while try step() {}
    }

    /// The 1-based index of the named parameter (`:name`), or 0 when the statement has none.
    /// https://www.sqlite.org/c3ref/bind_parameter_index.html
    public func parameterIndex(_ name: String) -> Int32 {
        sqlite3_bind_parameter_index(handle, name)
    }

    /// The declared type of result column `index` when it comes straight from a table column
    /// (`INTEGER`, `TEXT`, …), else `nil`. https://www.sqlite.org/c3ref/column_decltype.html
    public func columnDeclaredType(_ index: Int32) -> String? {
        sqlite3_column_decltype(handle, index).map { String(cString: $0) }
    }

    /// The number of result columns.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of result column `index` (0-based).
    public func columnName(_ index: Int32) -> String {
        String(cString: sqlite3_column_name(handle, index))
    }

    /// The value of result column `index` (0-based) of the current row; BLOBs are read as text.
    public func column(_ index: Int32) -> Value {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
        default:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let bytes = sqlite3_column_text(handle, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        }
    }

    /// Appends every column of the current row to `encoder`, straight from SQLite's buffers
    /// (no ``Value`` or `String` per column): the fingerprint scan's hot path.
    public func encodeRow(into encoder: inout RowEncoder) {
        for index in 0..<columnCount {
            switch sqlite3_column_type(handle, index) {
            case SQLITE_NULL: encoder.appendNull()
            case SQLITE_INTEGER: encoder.appendInteger(sqlite3_column_int64(handle, index))
            case SQLITE_FLOAT: encoder.appendReal(sqlite3_column_double(handle, index))
            default:
                let text = sqlite3_column_text(handle, index)
                let count = Int(sqlite3_column_bytes(handle, index))
                encoder.appendText(UnsafeRawBufferPointer(start: text, count: text == nil ? 0 : count))
            }
        }
    }

    /// Every column of the current row, in order.
    public func row() -> [Value] {
        (0..<columnCount).map { column($0) }
    }
}

/// The bytes of one row's text values while its statement runs (``SQLiteStatement/bindRow(_:scratch:)``):
/// grown when a row needs more, never shrunk, freed with the writer.
final class RowTextBuffer {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Room for `count` bytes (at least one, so the pointer is never dangling for empty text).
    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        if count > capacity {
            base.deallocate()
            capacity = max(count, capacity * 2)
            base = .allocate(byteCount: capacity, alignment: 16)
        }
        return base
    }
}
