import Foundation
import LoadKit

extension SQLiteDestination {
    /// What ``copyForVerify(table:partitionColumn:partition:to:)`` put into the scratch copy.
    public struct VerifyScratch: Sendable, Equatable {
        /// Rows of the partition verified (of the whole table when it is unpartitioned), in rows.
        public var rows: Int
        /// Rows copied to stand for the rest of the table: one per other partition and, in an
        /// append table, one per other load id (the first of each in the table's index order),
        /// in rows.
        public var sentinels: Int
        /// The table's ledger entries copied, in entries.
        public var ledgerEntries: Int

        /// What a copy holds.
        public init(rows: Int, sentinels: Int, ledgerEntries: Int) {
            self.rows = rows
            self.sentinels = sentinels
            self.ledgerEntries = ledgerEntries
        }
    }

    /// Writes a scratch warehouse at `path` (a new file) holding what verifying one partition of
    /// `table` touches, copied from this warehouse in one read snapshot: the warehouse's schema
    /// (every table, index, view and trigger, from the text SQLite stored, so types and index
    /// names are the same), every row of the partition (of the whole table when `partition` is
    /// `nil`), `table`'s ledger entries, and *sentinel rows* for the rest of the table: the
    /// first row of every other partition and, when the table has a `_loadkit_load_id` column,
    /// the first row of every other load id. No run or attempt records, no rows of other
    /// tables.
    ///
    /// The copy's cost follows the partition, not the table: the sentinels are found by one
    /// index probe per partition (`WHERE key > ? ORDER BY key LIMIT 1`) when the column leads
    /// an index (loadkit's tables have one), else by one `GROUP BY` pass. A load that deleted,
    /// changed or added rows outside its partition (or load id) changes the scratch's rows
    /// outside it — a sentinel, or a row that was not there — which is how `verify` checks
    /// "nothing else in the table changed" without copying or scanning the table.
    ///
    /// This warehouse is read through an `ATTACH` in read-only mode (`immutable=1` when it has
    /// no write-ahead log): no file beside it is created or changed. A crash leaves a partial
    /// scratch file that the caller deletes. https://www.sqlite.org/lang_attach.html,
    /// https://www.sqlite.org/uri.html
    ///
    /// ```swift
    /// let copy = try warehouse.copyForVerify(table: "flights", partitionColumn: "flight_date",
    ///                                        partition: "2013-06-15", to: scratch + "/warehouse.db")
    /// ```
    /// - Parameters:
    ///   - table: the table verified.
    ///   - partitionColumn: its partition key column; needed with `partition`.
    ///   - partition: the partition key, `nil` for an unpartitioned table.
    ///   - path: the scratch file to create; it must not exist.
    /// - Returns: what was copied.
    /// - Throws: ``LoadKitError`` `.partitionKey` for a partition without a partition column;
    ///   ``SQLiteError`` from SQLite.
    public func copyForVerify(table: String, partitionColumn: String?, partition: String?,
                              to path: String) throws -> VerifyScratch {
        if partition != nil && partitionColumn == nil {
            throw LoadKitError(.partitionKey, "table '\(table)' is not partitioned; verify it without a partition")
        }
        let scratch = try SQLiteConnection(path: path, pageSize: Self.pageSize)
        // The copy is thrown away on any failure: no need to sync it to disk.
        try scratch.execute("PRAGMA synchronous=OFF")
        try scratch.prepare("ATTACH DATABASE ? AS loadkit_source").execute([.text(Self.readOnlyURI(self.path))])
        defer { try? scratch.execute("DETACH DATABASE loadkit_source") }
        var copied = VerifyScratch(rows: 0, sentinels: 0, ledgerEntries: 0)
        try scratch.transaction {
            let needed: Set = [table, "_loadkit_ledger", "_loadkit_runs", "_loadkit_attempts"]
            let objects = try scratch.query("""
                SELECT tbl_name, sql FROM loadkit_source.sqlite_master
                WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid
                """)
            var present = Set<String>()
            for object in objects {
                guard case .text(let owner) = object[0], case .text(let sql) = object[1] else { continue }
                if needed.contains(owner) {
                    try scratch.execute(sql)
                    present.insert(owner)
                } else {
                    // Every other table, view and trigger without rows, so that what reads the
                    // warehouse's schema (the config's transform check) sees the same names. One
                    // that cannot be recreated here (a virtual table's shadow tables) is left out.
                    try? scratch.execute(sql)
                }
            }
            if present.contains("_loadkit_ledger") {
                try scratch.prepare("INSERT INTO main._loadkit_ledger SELECT * FROM loadkit_source._loadkit_ledger "
                    + "WHERE table_name = ?").execute([.text(table)])
                copied.ledgerEntries = scratch.changes
            }
            guard present.contains(table) else { return }
            let quoted = Identifier.quoted(table)
            guard let partition, let partitionColumn else {
                try scratch.execute("INSERT INTO main.\(quoted) SELECT * FROM loadkit_source.\(quoted)")
                copied.rows = scratch.changes
                return
            }
            try scratch.prepare("INSERT INTO main.\(quoted) SELECT * FROM loadkit_source.\(quoted) "
                + "WHERE \(Identifier.quoted(partitionColumn)) = ?").execute([.text(partition)])
            copied.rows = scratch.changes
            var sentinels = Set<Int64>()
            var groupings = [partitionColumn]
            let columns = Set(try scratch.query("SELECT name FROM pragma_table_info(?, 'loadkit_source')", [.text(table)])
                .compactMap { $0.first?.textValue })
            if columns.contains(TargetTable.loadIDColumn) { groupings.append(TargetTable.loadIDColumn) }
            for column in groupings {
                sentinels.formUnion(try Self.firstRowIDs(scratch, table: table, column: column,
                                                         excludingPartition: (partitionColumn, partition)))
            }
            let insert = try scratch.prepare("INSERT INTO main.\(quoted) SELECT * FROM loadkit_source.\(quoted) WHERE rowid = ?")
            for rowID in sentinels.sorted() { try insert.execute([.integer(rowID)]) }
            copied.sentinels = sentinels.count
        }
        return copied
    }

    /// The rowid of the first row (in index order) of each distinct non-NULL value of `column`
    /// in `loadkit_source.table`, leaving out rows of the excluded partition.
    private static func firstRowIDs(_ db: SQLiteConnection, table: String, column: String,
                                    excludingPartition excluded: (column: String, key: String)) throws -> [Int64] {
        let quotedTable = "loadkit_source." + Identifier.quoted(table)
        let quotedColumn = Identifier.quoted(column)
        let indexed = try db.scalar("""
            SELECT count(*) FROM pragma_index_list(?1, 'loadkit_source') AS l,
                                 pragma_index_info(l.name, 'loadkit_source') AS i
            WHERE i.seqno = 0 AND i.name = ?2 AND l.partial = 0
            """, [.text(table), .text(column)]) != .integer(0)
        var found: [(value: Value, rowID: Int64)] = []
        if indexed {
            // One probe per distinct value: the index is ordered by (value, rowid).
            let first = try db.prepare("SELECT \(quotedColumn), rowid FROM \(quotedTable) "
                + "WHERE \(quotedColumn) IS NOT NULL ORDER BY \(quotedColumn) LIMIT 1")
            let next = try db.prepare("SELECT \(quotedColumn), rowid FROM \(quotedTable) "
                + "WHERE \(quotedColumn) > ? ORDER BY \(quotedColumn) LIMIT 1")
            var statement = first
            while try statement.step() {
                let value = statement.column(0)
                guard case .integer(let rowID) = statement.column(1) else { break }
                found.append((value, rowID))
                next.reset()
                try next.bind([value])
                statement = next
            }
            next.reset()
        } else {
            for row in try db.query("SELECT \(quotedColumn), min(rowid) FROM \(quotedTable) "
                                    + "WHERE \(quotedColumn) IS NOT NULL GROUP BY \(quotedColumn)") {
                if case .integer(let rowID) = row[1] { found.append((row[0], rowID)) }
            }
        }
        if column == excluded.column { found.removeAll { $0.value == .text(excluded.key) } }
        // A first row that lies in the excluded partition is copied already; the load id's next
        // row outside it stands in for it.
        guard column != excluded.column else { return found.map(\.rowID) }
        let where_ = "WHERE \(quotedColumn) = ? AND \(Identifier.quoted(excluded.column)) IS NOT ?"
        let outside = try db.prepare("SELECT rowid FROM \(quotedTable) \(where_) ORDER BY rowid LIMIT 1")
        var result: [Int64] = []
        for (value, _) in found {
            outside.reset()
            try outside.bind([value, .text(excluded.key)])
            if try outside.step(), case .integer(let rowID) = outside.column(0) { result.append(rowID) }
        }
        return result
    }
}
