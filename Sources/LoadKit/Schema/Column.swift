/// A declared column: name, type and, optionally, its own null tokens.
public struct Column: Sendable, Hashable {
    /// The column name, matched exactly (case-sensitive) against the input header or JSON key.
    public var name: String
    /// The declared type.
    public var type: ColumnType
    /// Tokens read as NULL in this column, replacing the table's tokens when set; `[]` means
    /// no token is NULL here (only an unquoted empty CSV field is).
    public var nullTokens: [String]?

    /// Creates a column.
    /// - Parameters:
    ///   - name: the column name.
    ///   - type: the declared type.
    ///   - nullTokens: per-column null tokens overriding the table's; `nil` uses the table's.
    public init(_ name: String, _ type: ColumnType, nullTokens: [String]? = nil) {
        self.name = name
        self.type = type
        self.nullTokens = nullTokens
    }
}
