import LoadKit

/// `_loadkit_ledger` on PostgreSQL: the same columns and meaning as on SQLite (SPEC.md §4).
extension PostgresDestination {
    static let ledgerColumns = """
        table_name, partition_key, load_id, write_mode, rows, fingerprint, source_fingerprint, run_id, loaded_at,
        definition_fingerprint, partitioning, upstream, input, fingerprint_version
        """

    /// Inserts or replaces `entries` (keyed by table and load id) inside the open transaction, up
    /// to ``ledgerRowsPerStatement`` entries a statement (a multi-row `INSERT … ON CONFLICT`): a
    /// dynamic load of 365 partitions upserts its ledger in one round trip, not 365.
    /// - Throws: ``PostgresError``.
    func upsertLedger(_ all: [LedgerEntry]) throws {
        // One statement cannot update a row twice (21000): of entries with the same key, the
        // last wins, as it would one statement after another.
        var position: [String: Int] = [:]
        var entries: [LedgerEntry] = []
        for entry in all {
            let key = entry.table + "\u{0}" + entry.loadID
            if let index = position[key] { entries[index] = entry } else { position[key] = entries.count; entries.append(entry) }
        }
        var start = 0
        while start < entries.count {
            let chunk = entries[start..<min(entries.count, start + Self.ledgerRowsPerStatement)]
            start = chunk.endIndex
            var parameters: [String?] = []
            parameters.reserveCapacity(chunk.count * 14)
            var rows: [String] = []
            for entry in chunk {
                let first = parameters.count
                rows.append("(" + (1...14).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
                parameters += [
                    entry.table, entry.partitionKey, entry.loadID, entry.writeMode.rawValue, String(entry.fingerprint.rows),
                    entry.fingerprint.hex, entry.sourceFingerprint, entry.runID, entry.loadedAt,
                    entry.definitionFingerprint, entry.partitioning, entry.upstream, entry.input,
                    entry.fingerprint.version.rawValue,
                ]
            }
            let sql = """
                INSERT INTO \(qualified("_loadkit_ledger")) (\(Self.ledgerColumns))
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (table_name, load_id) DO UPDATE SET
                    partition_key = excluded.partition_key, write_mode = excluded.write_mode, rows = excluded.rows,
                    fingerprint = excluded.fingerprint, source_fingerprint = excluded.source_fingerprint,
                    run_id = excluded.run_id, loaded_at = excluded.loaded_at,
                    definition_fingerprint = excluded.definition_fingerprint, partitioning = excluded.partitioning,
                    upstream = excluded.upstream, input = excluded.input, fingerprint_version = excluded.fingerprint_version
                """
            // One entry (a daily load) is the common case: prepared once, reused by every load.
            if chunk.count == 1 { try connection.execute(prepared: sql, parameters) } else { try connection.execute(sql, parameters) }
        }
    }

    /// The most ledger entries one upsert statement carries (14 parameters each, within
    /// PostgreSQL's 65,535 parameters a statement).
    static let ledgerRowsPerStatement = 1000

    public func recordedPartitionings(table: String) throws -> [String?] {
        guard catalogReady else { return [] }
        return try connection.query("""
            SELECT DISTINCT partitioning FROM \(qualified("_loadkit_ledger"))
            WHERE table_name = $1 AND definition_fingerprint IS NOT NULL
            """, [table]).map { $0[0] }
    }

    public func ledgerEntry(table: String, loadID: String) throws -> LedgerEntry? {
        guard catalogReady else { return nil }
        return try connection.query("SELECT \(Self.ledgerColumns) FROM \(qualified("_loadkit_ledger")) "
                                    + "WHERE table_name = $1 AND load_id = $2", [table, loadID])
            .first.flatMap(Self.ledgerEntry)
    }

    public func ledger(table: String) throws -> [LedgerEntry] {
        guard catalogReady else { return [] }
        return try connection.query("SELECT \(Self.ledgerColumns) FROM \(qualified("_loadkit_ledger")) "
                                    + "WHERE table_name = $1 ORDER BY partition_key COLLATE \"C\" NULLS FIRST, load_id COLLATE \"C\"",
                                    [table]).compactMap(Self.ledgerEntry)
    }

    private static func ledgerEntry(_ row: [String?]) -> LedgerEntry? {
        guard let table = row[0], let loadID = row[2], let mode = row[3], let writeMode = WriteMode(rawValue: mode),
              let rowsText = row[4], let rows = Int(rowsText),
              let version = row[13] == nil ? .v1 : Fingerprint.Version(rawValue: row[13]!),
              let hex = row[5], let fingerprint = Fingerprint(hex: hex, rows: rows, version: version),
              let source = row[6], let runID = row[7], let at = row[8] else { return nil }
        return LedgerEntry(table: table, partitionKey: row[1], loadID: loadID, writeMode: writeMode,
                           fingerprint: fingerprint, sourceFingerprint: source, runID: runID, loadedAt: at,
                           definitionFingerprint: row[9], partitioning: row[10], upstream: row[11], input: row[12])
    }
}
