import LoadKit

/// Fingerprints of stored rows on PostgreSQL: the rows are read back in text format, decoded to
/// the ``LoadKit/Value``s SQLite would store (``PostgresValueCodec``) and hashed with the same
/// row encoding, so the same rows give the same fingerprint on both destinations (SPEC.md §4).
extension PostgresDestination {
    public func fingerprint(table: String, partitionColumn: String?, partition: String?,
                            version: Fingerprint.Version) throws -> Fingerprint {
        let columns = try storedColumns(table)
        var sql = "SELECT \(Self.list(columns)) FROM \(qualified(table))"
        var parameters: [String?] = []
        if let partition {
            guard let partitionColumn else {
                throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned; fingerprint it without a partition")
            }
            sql += " WHERE \(PostgresDialect.quote(partitionColumn)) = $1"
            parameters = [partition]
        }
        return try fingerprintRows(sql, parameters, columns: columns, version: version)
    }

    public func fingerprint(table: String, loadID: String, partitionColumn: String?,
                            partition: String?, version: Fingerprint.Version) throws -> Fingerprint {
        let columns = try storedColumns(table)
        guard columns.contains(where: { $0.name == TargetTable.loadIDColumn }) else {
            throw LoadKitError(.schema, "table '\(table)' has no \(TargetTable.loadIDColumn) column: it is not an append table")
        }
        var sql = "SELECT \(Self.list(columns)) FROM \(qualified(table)) WHERE \(PostgresDialect.quote(TargetTable.loadIDColumn)) = $1"
        var parameters: [String?] = [loadID]
        if let partition {
            guard let partitionColumn else {
                throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned; fingerprint it without a partition")
            }
            sql += " AND \(PostgresDialect.quote(partitionColumn)) = $2"
            parameters.append(partition)
        }
        return try fingerprintRows(sql, parameters, columns: columns, version: version)
    }

    @discardableResult
    public func removeLoad(table: String, loadID: String, runID: String, lockTimeout: Duration) throws -> Int {
        try prepareCatalog()
        guard try storedColumns(table).contains(where: { $0.name == TargetTable.loadIDColumn }) else {
            throw LoadKitError(.schema, "table '\(table)' has no \(TargetTable.loadIDColumn) column: it is not an append table")
        }
        try acquireLock(loadID, runID: runID, timeout: lockTimeout)
        defer { try? releaseLock(loadID, runID: runID) }
        return try connection.transaction {
            try fence()
            let removed = try connection.execute("DELETE FROM \(qualified(table)) WHERE "
                                                 + "\(PostgresDialect.quote(TargetTable.loadIDColumn)) = $1", [loadID])
            try connection.execute("DELETE FROM \(qualified("_loadkit_ledger")) WHERE table_name = $1 AND load_id = $2",
                                   [table, loadID])
            return removed
        }
    }

    /// The stored columns of an existing table.
    /// - Throws: ``LoadKitError`` `.noSuchTable` when it does not exist.
    private func storedColumns(_ table: String) throws -> [TargetTable.StoredColumn] {
        let columns = try existingColumns(of: table)
        if columns.isEmpty {
            throw LoadKitError(.noSuchTable, "table '\(table)' does not exist in \(location) (schema \(schema)); load it first")
        }
        return columns
    }

    private static func list(_ columns: [TargetTable.StoredColumn]) -> String {
        columns.map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
    }

    private func fingerprintRows(_ sql: String, _ parameters: [String?], columns: [TargetTable.StoredColumn],
                                 version: Fingerprint.Version) throws -> Fingerprint {
        var fingerprint = Fingerprint(version: version)
        try forEachValueRow(sql, parameters, types: Self.columnTypes(columns)) { fingerprint.add($0) }
        return fingerprint
    }

    /// Streams a query's rows decoded to ``LoadKit/Value``s by the columns' declared types.
    /// - Throws: ``LoadKitError`` `.schema` for a value that is not PostgreSQL's output for its
    ///   type; ``PostgresError``.
    func forEachValueRow(_ sql: String, _ parameters: [String?], types: [ColumnType],
                         _ body: ([Value]) throws -> Void) throws {
        var values: [Value] = []
        try connection.forEachRow(sql, parameters) { fields in
            values.removeAll(keepingCapacity: true)
            for (index, field) in fields.enumerated() {
                guard let value = PostgresValueCodec.decode(field, as: types[index]) else {
                    throw LoadKitError(.schema, "cannot read \(field ?? "NULL") as \(types[index]) from \(location)")
                }
                values.append(value)
            }
            try body(values)
        }
    }
}
