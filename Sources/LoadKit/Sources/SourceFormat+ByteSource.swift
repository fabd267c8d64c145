extension SourceFormat {
    /// Opens an already opened byte stream as a typed row source in this format.
    /// - Parameters:
    ///   - source: the bytes (for example a ``HashingByteSource``).
    ///   - fileName: how errors name the input.
    ///   - schema: the declared columns.
    ///   - options: null tokens, extra columns, time zone, dialect.
    /// - Throws: ``LoadKitError`` from reading the header.
    public func open(source: any ByteSource, fileName: String, schema: TableSchema,
                     options: SourceOptions) throws -> any RowSource {
        switch self {
        case .csv: return try CSVSource(source: source, fileName: fileName, schema: schema, options: options)
        case .jsonl: return try JSONLinesSource(source: source, fileName: fileName, schema: schema, options: options)
        }
    }
}
