import Foundation

/// What of a table's definition the stored rows depend on (SPEC.md G6, §4): its columns and
/// types, null tokens (the table's and each column's), partition column, granularity and time
/// zone. The ledger records its ``fingerprint`` with every entry, and its ``partitioning`` text,
/// so `status` can say `stale` when the definition changed and a load can refuse a change that
/// would split or merge loaded partitions.
///
/// Two parts, because the two kinds of change are handled differently:
/// - ``fingerprint`` covers everything: a different value means the loaded rows may differ
///   from what a load would write now (stale; a plain backfill reloads them).
/// - ``partitioning`` (`<column> <granularity> <time zone>`, for example
///   `flight_date day America/New_York`, `nil` when unpartitioned) names how rows are split
///   into partitions: a change there is refused, because reloading partitions one by one
///   would leave rows of the old partitions beside the new ones.
public struct TableDefinition: Sendable, Hashable {
    /// The canonical text the fingerprint is computed from (one line per fact).
    public let canonicalText: String
    /// `<column> <granularity> <time zone>`, or `nil` for an unpartitioned table.
    public let partitioning: String?

    /// The definition of `table` read with `options` (null tokens and the zone of naive
    /// timestamps), or of a SQL transform when `options` is `nil`.
    /// - Parameters:
    ///   - table: the target; its declared columns, partitioning and write mode.
    ///   - options: the source options; `nil` for a SQL transform (its values come typed from
    ///     the query, so no null tokens apply).
    ///   - columnsFromQuery: `true` when a transform's columns are taken from its query (not
    ///     declared), so they are not part of the definition (a change in the query already
    ///     changes its source fingerprint).
    public init(table: TargetTable, options: SourceOptions?, columnsFromQuery: Bool = false) {
        self.init(columns: columnsFromQuery ? nil : table.schema.columns, options: options,
                  partitioning: table.partitioning, writeMode: table.writeMode)
    }

    /// A definition from its parts.
    /// - Parameters:
    ///   - columns: the declared columns in order; `nil` for a transform whose columns come from
    ///     its query.
    ///   - options: the source's options; `nil` for a transform.
    ///   - partitioning: `nil` for an unpartitioned table.
    ///   - writeMode: replace or append.
    public init(columns: [Column]?, options: SourceOptions?, partitioning: TargetTable.Partitioning?,
                writeMode: WriteMode) {
        var lines = ["loadkit.definition/1", "write=\(writeMode.rawValue)"]
        if let columns {
            for column in columns {
                var line = "column=\(column.name) \(column.type.rawValue)"
                if let tokens = column.nullTokens { line += " null=" + Self.list(tokens) }
                lines.append(line)
            }
        } else {
            lines.append("columns=from-query")
        }
        if let options {
            lines.append("null=" + Self.list(options.nullTokens))
            lines.append("timezone=\(Self.zoneName(options.timeZone))")
        }
        if let p = partitioning {
            let text = "\(p.column) \(p.scheme.granularity.rawValue) \(Self.zoneName(p.scheme.timeZone))"
            lines.append("partition=\(text) from=\(p.sourceColumn ?? "-")")
            self.partitioning = text
        } else {
            self.partitioning = nil
        }
        canonicalText = lines.joined(separator: "\n")
    }

    /// 32 lower-case hex digits: the first 128 bits of the SHA-256 of ``canonicalText``.
    public var fingerprint: String {
        String(HashingByteSource.sha256Hex(Array(canonicalText.utf8)).prefix(32))
    }

    /// The zone's IANA name; `UTC` for the zone Foundation names `GMT` (the same zone, which
    /// the config spells `UTC`).
    static func zoneName(_ zone: TimeZone) -> String {
        zone.displayIdentifier
    }

    /// Tokens as a JSON-like list, so `["a,b"]` and `["a", "b"]` differ.
    private static func list(_ tokens: [String]) -> String {
        "[" + tokens.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "]"
    }

    /// Whether `old` (a recorded ``partitioning``) is this one; a recorded zone spelled by
    /// another of UTC's names (`Etc/UTC`, written by an earlier version) counts as `UTC`.
    public func isSamePartitioning(as old: String?) -> Bool {
        guard let old, let partitioning else { return old == partitioning }
        var parts = old.split(separator: " ").map(String.init)
        if parts.count == 3 { parts[2] = TimeZone.canonicalName(parts[2]) }
        return parts.joined(separator: " ") == partitioning
    }

    /// How an earlier partitioning differs from this one, in words (`granularity day → month`),
    /// or `nil` when they are the same.
    public func partitioningChange(from old: String?) -> String? {
        guard !isSamePartitioning(as: old) else { return nil }
        guard let old else { return "the table was loaded unpartitioned and is now partitioned (\(partitioning!))" }
        guard let new = partitioning else { return "the table was loaded partitioned (\(old)) and is now unpartitioned" }
        let a = old.split(separator: " ").map(String.init), b = new.split(separator: " ").map(String.init)
        guard a.count == 3, b.count == 3 else { return "partitioning \(old) → \(new)" }
        var changes: [String] = []
        if a[0] != b[0] { changes.append("partition column \(a[0]) → \(b[0])") }
        if a[1] != b[1] { changes.append("granularity \(a[1]) → \(b[1])") }
        if a[2] != b[2] { changes.append("partition time zone \(a[2]) → \(b[2])") }
        return changes.joined(separator: ", ")
    }
}

extension LoadKitError.Code {
    /// A table's partitioning (column, granularity, time zone) differs from the one its loaded
    /// partitions were written with; reloading would split or merge partitions.
    public static let partitioningChanged = LoadKitError.Code("definition.partitioning_changed")
}
