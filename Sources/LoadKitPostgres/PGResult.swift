import CLoadKitPQ

/// One statement's result, owned (`PQclear` in `deinit`), with its columns' names and type
/// OIDs: what a transform's query reads (``PostgresReadOnlyQuery``). PostgreSQL manual §34.3.2
/// "Retrieving Query Result Information".
final class PGResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { pq.PQclear(handle) }

    /// Rows, in rows.
    var rowCount: Int { Int(pq.PQntuples(handle)) }
    /// Columns, in columns.
    var columnCount: Int { Int(pq.PQnfields(handle)) }
    /// The name of column `column` (0-based).
    func name(_ column: Int) -> String { pq.PQfname(handle, Int32(column)).map { String(cString: $0) } ?? "?column?" }
    /// The type OID of column `column` (`pg_type.oid`).
    func typeOID(_ column: Int) -> UInt32 { UInt32(pq.PQftype(handle, Int32(column))) }
    /// The text of a field, `nil` for NULL.
    func value(_ row: Int, _ column: Int) -> String? {
        pq.PQgetisnull(handle, Int32(row), Int32(column)) == 1 ? nil
            : String(cString: pq.PQgetvalue(handle, Int32(row), Int32(column)))
    }
    /// The count in the command tag (`MOVE 720` → 720), 0 when it has none.
    var affectedRows: Int { PGConnection.affectedRows(handle) }
}

extension PGConnection {
    /// The OID of PostgreSQL's `text` type, for declaring a parameter's type.
    static let textOID: UInt32 = 25

    /// Runs one statement through the extended query protocol (`PQexecParams`, even without
    /// parameters), which refuses a string holding more than one statement; every parameter is
    /// declared `text`. PostgreSQL manual §55.2.3 "Extended Query".
    /// - Parameters:
    ///   - sql: one statement; parameters `$1`, `$2`, ….
    ///   - parameters: text values, `nil` for NULL, each of type `text`.
    /// - Throws: ``PostgresError``.
    func result(_ sql: String, text parameters: [String?] = []) throws -> PGResult {
        let types = [Oid](repeating: Oid(Self.textOID), count: parameters.count)
        let result = withCStringArray(parameters) { values in
            types.withUnsafeBufferPointer { typeBuffer in
                pq.PQexecParams(handle, sql, Int32(parameters.count), typeBuffer.baseAddress, values, nil, nil, 0)
            }
        }
        try check(result, sql: sql)
        return PGResult(result!)
    }
}
