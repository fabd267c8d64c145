/// A table loadkit writes: its declared columns, how it is partitioned, and how loads write it.
///
/// The stored columns (``storedColumns``) are the declared columns in order, then the
/// partition key column (TEXT) for a partitioned table, then `_loadkit_load_id` (TEXT) for an
/// append table, whose rows carry the load id that wrote them.
public struct TargetTable: Sendable {
    /// How a partitioned table derives its partition key.
    public struct Partitioning: Sendable {
        /// The partition key column of the target (added by loadkit; TEXT).
        public var column: String
        /// Granularity and time zone.
        public var scheme: PartitionScheme
        /// The declared column (date or timestamp) the key is derived from; `nil` for a SQL
        /// transform whose query returns the key column itself.
        public var sourceColumn: String?

        /// Creates a partitioning.
        public init(column: String, scheme: PartitionScheme, sourceColumn: String?) {
            self.column = column
            self.scheme = scheme
            self.sourceColumn = sourceColumn
        }
    }

    /// What a static partition replace does with a row whose key is another partition's.
    public enum OutsideRows: String, Sendable, CaseIterable {
        /// Fail the load, naming the row's line (the default).
        case error
        /// Drop the row and count it in the result.
        case skip
    }

    /// The table name (validated; quoted in all SQL).
    public var name: String
    /// The declared columns, in target order.
    public var schema: TableSchema
    /// `nil` for an unpartitioned table (loads replace or append to the whole table).
    public var partitioning: Partitioning?
    /// Replace or append.
    public var writeMode: WriteMode
    /// Rows of other partitions in a static replace.
    public var outsideRows: OutsideRows
    /// Whether an empty source may empty a partition (or the whole table).
    public var allowEmpty: Bool

    /// The column in which append tables store the load id of each row.
    public static let loadIDColumn = "_loadkit_load_id"

    /// Creates a target table description.
    ///
    /// - Throws: ``LoadKitError`` `.schema` for a bad table name, a partition column that is
    ///   also declared, or a partition source column that is not a declared date or timestamp.
    public init(name: String, schema: TableSchema, partitioning: Partitioning? = nil,
                writeMode: WriteMode = .replace, outsideRows: OutsideRows = .error,
                allowEmpty: Bool = false) throws {
        try Identifier.validate(name, what: "table name")
        if name.hasPrefix("_loadkit_") {
            throw LoadKitError(.schema, "table name '\(name)' starts with '_loadkit_', which loadkit reserves")
        }
        if let partitioning {
            try Identifier.validate(partitioning.column, what: "partition column name")
            if partitioning.column.hasPrefix("_loadkit_") {
                throw LoadKitError(.schema,
                    "partition column name '\(partitioning.column)' starts with '_loadkit_', which loadkit reserves")
            }
            if let source = partitioning.sourceColumn {
                guard let column = schema.columns.first(where: { $0.name == source }),
                      column.type == .date || column.type == .timestamp else {
                    throw LoadKitError(.schema,
                        "partition source column '\(source)' must be a declared date or timestamp column")
                }
                if column.type == .date && partitioning.scheme.granularity == .hour {
                    throw LoadKitError(.schema, "hour partitions need a timestamp column; '\(source)' is a date")
                }
                if schema.index(of: partitioning.column) != nil {
                    throw LoadKitError(.schema,
                        "partition column '\(partitioning.column)' is also a declared column; give it another name")
                }
            } else if schema.index(of: partitioning.column) == nil {
                throw LoadKitError(.schema,
                    "partition column '\(partitioning.column)' must be one of the columns (a SQL transform's query "
                    + "returns it), or name a source column to derive it from")
            }
        }
        if schema.index(of: Self.loadIDColumn) != nil {
            throw LoadKitError(.schema, "column name '\(Self.loadIDColumn)' is reserved for append tables")
        }
        self.name = name
        self.schema = schema
        self.partitioning = partitioning
        self.writeMode = writeMode
        self.outsideRows = outsideRows
        self.allowEmpty = allowEmpty
    }

    /// A stored column: its name and SQL type.
    public struct StoredColumn: Sendable, Hashable {
        /// The column name.
        public var name: String
        /// The declared SQL type (`INTEGER`, `TEXT`, …).
        public var sqlType: String

        /// Creates a stored column.
        public init(name: String, sqlType: String) {
            self.name = name
            self.sqlType = sqlType
        }
    }

    /// Whether the partition key column is one of the declared columns (SQL transforms).
    public var keyIsDeclared: Bool {
        partitioning.map { schema.index(of: $0.column) != nil } ?? false
    }

    /// Every column of the target table, in order.
    public var storedColumns: [StoredColumn] {
        var columns = schema.columns.map { StoredColumn(name: $0.name, sqlType: $0.type.sqlType) }
        if let partitioning, !keyIsDeclared {
            columns.append(StoredColumn(name: partitioning.column, sqlType: "TEXT"))
        }
        if writeMode == .append {
            columns.append(StoredColumn(name: Self.loadIDColumn, sqlType: "TEXT"))
        }
        return columns
    }
}
