/// The declared columns of a table, in target column order.
public struct TableSchema: Sendable, Hashable {
    /// The columns, in the order they have in the target table.
    public let columns: [Column]

    /// Creates a schema, checking the column names.
    ///
    /// - Parameter columns: at least one column; names must be valid identifiers
    ///   (see ``Identifier``) and unique.
    /// - Throws: ``LoadKitError`` `.schema` naming the offending column.
    public init(_ columns: [Column]) throws {
        guard !columns.isEmpty else {
            throw LoadKitError(.schema, "a table needs at least one column")
        }
        var seen = Set<String>()
        for column in columns {
            try Identifier.validate(column.name, what: "column name")
            guard seen.insert(column.name).inserted else {
                throw LoadKitError(.schema, "column '\(column.name)' is declared twice")
            }
        }
        self.columns = columns
    }

    /// The position of the column named `name`, or `nil`.
    public func index(of name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}
