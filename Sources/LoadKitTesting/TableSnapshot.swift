import LoadKit
import LoadKitSQLite

/// A table's contents at one moment: every row (as stored, all columns), its fingerprint per
/// partition, and its ledger entries without the run-specific fields (run id, load time).
///
/// Two snapshots are equal when the table holds the same multiset of rows in the same columns,
/// partition by partition, and the ledger records the same loads with the same row counts and
/// fingerprints. The expectations (``expectIdempotent(_:tables:sourceLocation:_:)``,
/// ``expectScoped(_:table:to:sourceLocation:_:)``, …) compare snapshots taken before and
/// after an action; take one yourself to compare states of your own choosing:
///
/// ```swift
/// let before = try TableSnapshot.take("flights", of: project)
/// try project.load("flights", partition: "2013-01-05")
/// let after = try TableSnapshot.take("flights", of: project)
/// #expect(before == after, "\(before.differences(to: after))")
/// ```
public struct TableSnapshot: Sendable, Equatable {
    /// The table's name.
    public var table: String
    /// The stored columns, in table order (empty when the table does not exist).
    public var columns: [String] = []
    /// The partition key column, `nil` for an unpartitioned table.
    public var partitionColumn: String?
    /// Fingerprint per partition key (`nil` for an unpartitioned table's rows).
    public var partitions: [String?: Fingerprint]
    /// Every stored row, sorted by their text form (for diffs).
    public var rows: [[Value]]
    /// Ledger entries as `partition load-id rows fingerprint version` (`-` for no partition),
    /// sorted.
    public var ledger: [String]

    /// The fingerprint of the whole table.
    public var fingerprint: Fingerprint {
        partitions.values.reduce(Fingerprint()) { $0.combined(with: $1) }
    }

    /// Reads a snapshot of `table`.
    /// - Parameters:
    ///   - table: the target table (its partition column groups the fingerprints).
    ///   - destination: the warehouse.
    /// - Throws: `SQLiteError`; a missing table gives an empty snapshot.
    public static func take(_ table: TargetTable, from destination: SQLiteDestination) throws -> TableSnapshot {
        try take(table: table.name, partitionColumn: table.partitioning?.column, from: destination)
    }

    /// Reads a snapshot of the table named `table`, whatever wrote it (a load, a transform, a
    /// program of your own).
    /// - Parameters:
    ///   - table: the table's name.
    ///   - partitionColumn: the column whose values group the fingerprints; `nil` for one group.
    ///   - destination: the warehouse.
    /// - Throws: `SQLiteError`; a missing table gives an empty snapshot.
    public static func take(table: String, partitionColumn: String?,
                            from destination: SQLiteDestination) throws -> TableSnapshot {
        var snapshot = TableSnapshot(table: table, partitionColumn: partitionColumn, partitions: [:], rows: [], ledger: [])
        let columns = try destination.existingColumns(of: table)
        guard !columns.isEmpty else { return snapshot }
        snapshot.columns = columns.map(\.name)
        let keyIndex = partitionColumn.flatMap { column in columns.firstIndex { $0.name == column } }
        for row in try destination.connection.query("SELECT * FROM \(Identifier.quoted(table))") {
            var key: String?
            if let keyIndex { key = row[keyIndex].textValue }
            snapshot.partitions[key, default: Fingerprint()].add(row)
            snapshot.rows.append(row)
        }
        snapshot.rows.sort { $0.description < $1.description }
        snapshot.ledger = try destination.ledger(table: table).map {
            "\($0.partitionKey ?? "-") \($0.loadID) \($0.fingerprint.rows) \($0.fingerprint.hex) \($0.fingerprint.version.rawValue)"
        }.sorted()
        return snapshot
    }

    /// The partition key of `row` (its ``partitionColumn`` value; `nil` when unpartitioned).
    func key(of row: [Value]) -> String? {
        guard let partitionColumn, let index = columns.firstIndex(of: partitionColumn) else { return nil }
        return row[index].textValue
    }

    /// A readable account of how `other` differs from this snapshot: rows only in one of them
    /// (at most `limit` of each, as multisets, so a duplicated row shows), partitions whose
    /// fingerprints differ, ledger entries that differ. Empty when equal.
    public func differences(to other: TableSnapshot, limit: Int = 5) -> String {
        var lines: [String] = []
        var counts: [[Value]: Int] = [:]
        for row in rows { counts[row, default: 0] += 1 }
        var onlyAfter: [[Value]] = []
        for row in other.rows {
            if let n = counts[row], n > 0 { counts[row] = n - 1 } else { onlyAfter.append(row) }
        }
        let onlyBefore = counts.flatMap { row, n in Array(repeating: row, count: n) }.sorted { $0.description < $1.description }
        func show(_ rows: [[Value]], _ title: String) {
            guard !rows.isEmpty else { return }
            lines.append("\(rows.count) row\(rows.count == 1 ? "" : "s") \(title):")
            for row in rows.prefix(limit) { lines.append("  (" + row.map(\.description).joined(separator: ", ") + ")") }
            if rows.count > limit { lines.append("  … and \(rows.count - limit) more") }
        }
        show(onlyBefore, "only before")
        show(onlyAfter, "only after")
        let keys = Set(partitions.keys).union(other.partitions.keys).sorted { ($0 ?? "") < ($1 ?? "") }
        for key in keys where partitions[key] != other.partitions[key] {
            lines.append("partition \(key ?? "(whole table)"): \(partitions[key]?.description ?? "absent") → "
                + (other.partitions[key]?.description ?? "absent"))
        }
        if columns != other.columns {
            lines.append("columns before: " + columns.joined(separator: ", "))
            lines.append("columns after:  " + other.columns.joined(separator: ", "))
        }
        if ledger != other.ledger {
            lines.append("ledger before: " + ledger.joined(separator: "; "))
            lines.append("ledger after:  " + other.ledger.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }
}
