import LoadKit

extension PostgresDestination {
    /// What ``copyForVerify(table:partitionColumn:partition:upstream:into:)`` put into a scratch
    /// schema.
    public struct VerifyScratch: Sendable, Equatable {
        /// The scratch schema's name.
        public var schema: String
        /// Rows of the partition verified (of the whole table when it is unpartitioned), in rows.
        public var rows: Int
        /// Rows copied to stand for the rest of the table: one per other partition and, in an
        /// append table, one per other (partition, load id), in rows.
        public var sentinels: Int
        /// Ledger entries copied (of the table and of its upstream tables), in entries.
        public var ledgerEntries: Int
        /// Rows of upstream tables copied (whole), in rows.
        public var upstreamRows: Int
    }

    /// The prefix of verify's scratch schemas.
    public static let verifyScratchPrefix = "_loadkit_verify_"

    /// A name for a new scratch schema: ``verifyScratchPrefix`` and 16 random hex digits, so
    /// verifies running at once never share one.
    public static func verifyScratchName() -> String {
        let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return verifyScratchPrefix + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Creates the schema `scratch` holding what verifying one partition of `table` touches,
    /// copied from this destination's schema in one `REPEATABLE READ` snapshot and one
    /// transaction (a failure leaves no schema): loadkit's own tables (empty, but for the ledger
    /// entries of `table` and of `upstream`); `table` as it is defined (`LIKE … INCLUDING ALL`; a
    /// native partitioned table with the same partition key and each of its partitions, same
    /// names and bounds; a plain table as a plain table) holding every row of the partition (of
    /// the whole table when `partition` is `nil`) and *sentinel rows* for the rest: the first row
    /// of every other partition and, in an append table (a `_loadkit_load_id` column), of every
    /// other (partition, load id). Each `upstream` table (a transform's `depends_on`) is copied
    /// whole, as a plain table with the same columns. Nothing else: no run records, no other
    /// tables. This schema's tables are only read.
    ///
    /// A load that deletes or changes rows outside its partition (or load id) changes a
    /// sentinel, which is how `verify` checks that nothing else in the table changed without
    /// copying it. A transform's query finds the upstream copies first when the scratch schema
    /// leads the search path (``querySchemas``), then, for any table not copied, the warehouse's
    /// own (only read, G7). PostgreSQL manual, CREATE TABLE (LIKE, PARTITION OF).
    ///
    /// ```swift
    /// let scratch = PostgresDestination.verifyScratchName()
    /// let copied = try warehouse.copyForVerify(table: "flights", partitionColumn: "flight_date",
    ///                                          partition: "2013-01-05", upstream: [], into: scratch)
    /// defer { try? warehouse.dropVerifyScratch(scratch) }
    /// ```
    /// - Parameters:
    ///   - table: the table verified.
    ///   - partitionColumn: its partition key column; needed with `partition`.
    ///   - partition: the partition key, `nil` for an unpartitioned table.
    ///   - upstream: the tables a transform's query reads that loadkit loads (`depends_on`).
    ///   - scratch: the new schema's name (``verifyScratchName()``); it must not exist.
    /// - Returns: what was copied.
    /// - Throws: ``LoadKit/LoadKitError`` `.partitionKey` for a partition without a partition
    ///   column; ``PostgresError`` (`42P06` when the schema exists).
    public func copyForVerify(table: String, partitionColumn: String?, partition: String?, upstream: [String],
                              into scratch: String) throws -> VerifyScratch {
        if partition != nil && partitionColumn == nil {
            throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned; verify it without a partition")
        }
        let target = { (name: String) in PostgresDialect.qualified(scratch, name) }
        var copied = VerifyScratch(schema: scratch, rows: 0, sentinels: 0, ledgerEntries: 0, upstreamRows: 0)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        do {
            try connection.execute("CREATE SCHEMA \(PostgresDialect.quote(scratch))")
            try connection.execute(PostgresCatalog.ddl(schema: scratch))
            if catalogReady {
                let columns = try sharedColumns(qualified("_loadkit_ledger"), target("_loadkit_ledger"))
                copied.ledgerEntries = try connection.execute(
                    "INSERT INTO \(target("_loadkit_ledger")) (\(columns)) SELECT \(columns) FROM \(qualified("_loadkit_ledger")) "
                    + "WHERE table_name = ANY($1::text[])", [Self.textArray([table] + upstream)])
            }
            if let kind = try relkind(table) {
                let columns = try existingColumns(of: table).map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
                let appends = try existingColumns(of: table).contains { $0.name == TargetTable.loadIDColumn }
                if kind == "p" {
                    try connection.execute("CREATE TABLE \(target(table)) (LIKE \(qualified(table)) INCLUDING ALL) "
                        + "PARTITION BY " + (try connection.scalar("SELECT pg_get_partkeydef($1::regclass)",
                                                                    [qualified(table)]) ?? ""))
                    let children = try connection.query("""
                        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                        JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY c.relname
                        """, [qualified(table)])
                    // loadkit's partitions are named after their lock key, which names the schema:
                    // in the scratch they get the scratch's names, so that its swaps find them.
                    let swap = PostgresPartitionSwap(connection: connection, schema: scratch, table: table,
                                                     partitionColumn: partitionColumn ?? "")
                    for child in children {
                        guard let name = child[0], let bound = child[1] else { continue }
                        let renamed = name.hasPrefix("_loadkit_p_") ? Self.singleKey(bound).map(swap.partitionName) : nil
                        try connection.execute("CREATE TABLE \(target(renamed ?? name)) PARTITION OF \(target(table)) \(bound)")
                    }
                    copied.rows = try copyRows(columns, from: qualified(table), to: target(table),
                                               column: partitionColumn, partition: partition)
                    // One sentinel per other partition (per other load id in an append table),
                    // read partition by partition: no scan of the whole table.
                    for child in children {
                        guard let name = child[0] else { continue }
                        copied.sentinels += try copySentinels(columns, from: qualified(name), to: target(table),
                                                              column: partitionColumn, partition: partition,
                                                              appends: appends, perPartition: false)
                    }
                } else {
                    try connection.execute("CREATE TABLE \(target(table)) (LIKE \(qualified(table)) INCLUDING ALL)")
                    copied.rows = try copyRows(columns, from: qualified(table), to: target(table),
                                               column: partitionColumn, partition: partition)
                    if partition != nil {
                        copied.sentinels = try copySentinels(columns, from: qualified(table), to: target(table),
                                                             column: partitionColumn, partition: partition,
                                                             appends: appends, perPartition: true)
                    }
                }
            }
            for name in Set(upstream).subtracting([table]).sorted() where try relkind(name) != nil {
                let columns = try existingColumns(of: name).map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
                try connection.execute("CREATE TABLE \(target(name)) (LIKE \(qualified(name)) INCLUDING DEFAULTS)")
                copied.upstreamRows += try connection.execute(
                    "INSERT INTO \(target(name)) (\(columns)) SELECT \(columns) FROM \(qualified(name))")
            }
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
        return copied
    }

    /// Drops a scratch schema made by ``copyForVerify(table:partitionColumn:partition:upstream:into:)``
    /// and everything in it; nothing when it does not exist.
    /// - Throws: ``LoadKit/LoadKitError`` `.schema` for a name without ``verifyScratchPrefix``
    ///   (never another schema); ``PostgresError``.
    public func dropVerifyScratch(_ scratch: String) throws {
        guard scratch.hasPrefix(Self.verifyScratchPrefix) else {
            throw LoadKitError(.schema, "'\(scratch)' is not a verify scratch schema")
        }
        try connection.execute("DROP SCHEMA IF EXISTS \(PostgresDialect.quote(scratch)) CASCADE")
    }

    /// `relkind` of `name` in the schema, `nil` when it does not exist.
    private func relkind(_ name: String) throws -> String? {
        try connection.scalar("SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", [qualified(name)])
    }

    /// The columns both tables have, in `source`'s order, quoted and joined.
    private func sharedColumns(_ source: String, _ target: String) throws -> String {
        try connection.query("""
            SELECT quote_ident(a.attname) FROM pg_attribute a
            JOIN pg_attribute b ON b.attrelid = $2::regclass AND b.attname = a.attname AND b.attnum > 0 AND NOT b.attisdropped
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [source, target]).compactMap { $0[0] }.joined(separator: ", ")
    }

    /// Copies the partition's rows (every row without a partition); returns how many.
    private func copyRows(_ columns: String, from source: String, to target: String, column: String?,
                          partition: String?) throws -> Int {
        guard let partition, let column else {
            return try connection.execute("INSERT INTO \(target) (\(columns)) SELECT \(columns) FROM \(source)")
        }
        return try connection.execute("INSERT INTO \(target) (\(columns)) SELECT \(columns) FROM \(source) "
                                      + "WHERE \(PostgresDialect.quote(column)) = $1", [partition])
    }

    /// Copies the sentinel rows of `source` outside the partition: its first row (per
    /// partition key with `perPartition`), and per load id in an append table; returns how many.
    private func copySentinels(_ columns: String, from source: String, to target: String, column: String?,
                               partition: String?, appends: Bool, perPartition: Bool) throws -> Int {
        guard let column, let partition else { return 0 }
        let key = PostgresDialect.quote(column)
        let loadID = PostgresDialect.quote(TargetTable.loadIDColumn)
        let distinct = (perPartition ? [key] : []) + (appends ? [loadID] : [])
        let select = distinct.isEmpty
            ? "SELECT \(columns) FROM \(source) WHERE \(key) IS DISTINCT FROM $1 LIMIT 1"
            : "SELECT DISTINCT ON (\(distinct.joined(separator: ", "))) \(columns) FROM \(source) "
                + "WHERE \(key) IS DISTINCT FROM $1 ORDER BY \(distinct.joined(separator: ", "))"
        return try connection.execute("INSERT INTO \(target) (\(columns)) \(select)", [partition])
    }

    /// The key of a list partition bound of one text value (`FOR VALUES IN ('2013-01-05')`,
    /// `pg_get_expr` of `relpartbound`), `nil` for any other bound.
    static func singleKey(_ bound: String) -> String? {
        let prefix = "FOR VALUES IN ('", suffix = "')"
        guard bound.hasPrefix(prefix), bound.hasSuffix(suffix), bound.count >= prefix.count + suffix.count else { return nil }
        let literal = bound.dropFirst(prefix.count).dropLast(suffix.count)
        let key = literal.replacingOccurrences(of: "''", with: "'")
        guard !literal.replacingOccurrences(of: "''", with: "").contains("'") else { return nil }
        return key
    }

    /// A `text[]` literal of `values` (each double-quoted), bound as one parameter.
    static func textArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
