import CLoadKitPQ

extension PGConnection {
    /// Runs a query and hands its rows to `body` one at a time as they arrive, in libpq's
    /// single-row mode, so a result of any size takes the memory of one row (`PQexec` would
    /// hold the whole result). Works inside or outside a transaction. PostgreSQL manual §34.6
    /// "Retrieving Query Results Row-by-Row".
    /// - Parameters:
    ///   - sql: one query; parameters are `$1`, `$2`, ….
    ///   - parameters: text-format values, `nil` for NULL.
    ///   - body: called for each row, each value as text (`nil` for NULL). When it throws, the
    ///     rest of the result is read and dropped, and its error is rethrown.
    /// - Throws: ``PostgresError``, or what `body` throws.
    public func forEachRow(_ sql: String, _ parameters: [String?] = [],
                           _ body: ([String?]) throws -> Void) throws {
        try readOnlyGuarded(sql) { try streamRows(sql, parameters, body) }
    }

    private func streamRows(_ sql: String, _ parameters: [String?], _ body: ([String?]) throws -> Void) throws {
        let sent = withCStringArray(parameters) { values in
            pq.PQsendQueryParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw error(from: nil, sql: sql) }
        _ = pq.PQsetSingleRowMode(handle)
        var failure: Error?
        var serverError: PostgresError?
        var row: [String?] = []
        while let result = pq.PQgetResult(handle) {
            defer { pq.PQclear(result) }
            let status = pq.PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE, failure == nil, serverError == nil {
                let columns = pq.PQnfields(result)
                row.removeAll(keepingCapacity: true)
                for column in 0..<columns {
                    row.append(pq.PQgetisnull(result, 0, column) == 1 ? nil : String(cString: pq.PQgetvalue(result, 0, column)))
                }
                do { try body(row) } catch { failure = error }
            } else if status != PGRES_SINGLE_TUPLE, status != PGRES_TUPLES_OK, status != PGRES_COMMAND_OK,
                      serverError == nil {
                serverError = error(from: result, sql: sql)
            }
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
    }
}
