/// Typed rows from a CSV file: header matched to the declared columns, values parsed.
///
/// Input columns are matched to declared columns by header name, in any order (SPEC.md §2).
/// A declared column missing from the header is an error; an undeclared header column is an
/// error unless ``SourceOptions/ignoreExtraColumns``. An unquoted empty field and an unquoted
/// field equal to one of the column's null tokens are NULL; a quoted field never is (the
/// PostgreSQL `COPY … CSV` convention).
public final class CSVSource: RowSource {
    public let schema: TableSchema
    public var fileName: String { reader.fileName }
    public var line: Int { reader.recordLine }

    private let reader: CSVReader
    private let parser: ValueParser
    /// For each declared column, the index of its field in the input.
    private let fieldIndex: [Int]
    /// For each declared column, its null tokens as bytes.
    private let nullTokens: [[[UInt8]]]
    private let types: [ColumnType]

    /// Opens a CSV source.
    /// - Parameters:
    ///   - source: the input bytes.
    ///   - fileName: how errors name the file.
    ///   - schema: the declared columns.
    ///   - options: null tokens, extra columns, time zone, dialect.
    /// - Throws: ``LoadKitError`` `.noHeader`, `.badHeader`, `.missingColumn`, `.unknownColumn`.
    public init(source: any ByteSource, fileName: String, schema: TableSchema,
                options: SourceOptions) throws {
        let reader = try CSVReader(source: source, fileName: fileName, dialect: options.csv)
        var positions: [String: Int] = [:]
        for (i, name) in reader.header.enumerated() { positions[name] = i }
        var fieldIndex: [Int] = []
        for column in schema.columns {
            guard let i = positions[column.name] else {
                throw LoadKitError(.missingColumn,
                    "declared column '\(column.name)' is missing from the header; the header has: "
                    + reader.header.joined(separator: ", "),
                    at: .init(file: fileName, line: 1, column: column.name))
            }
            fieldIndex.append(i)
        }
        if !options.ignoreExtraColumns,
           let extra = reader.header.firstIndex(where: { schema.index(of: $0) == nil }) {
            throw LoadKitError(.unknownColumn,
                "input column '\(reader.header[extra])' is not declared in the table's columns; "
                + "declare it, or set ignore_extra_columns: true to drop it",
                at: .init(file: fileName, line: 1, column: reader.header[extra]))
        }
        self.schema = schema
        self.reader = reader
        self.parser = ValueParser(localTime: LocalTimeResolver(timeZone: options.timeZone))
        self.fieldIndex = fieldIndex
        self.nullTokens = schema.columns.map { ($0.nullTokens ?? options.nullTokens).map { Array($0.utf8) } }
        self.types = schema.columns.map(\.type)
    }

    public func next(into row: inout [Value]) throws -> Bool {
        guard try reader.next() else { return false }
        if row.count < types.count {
            row = Array(repeating: .null, count: types.count)
        }
        for c in 0..<types.count {
            let k = fieldIndex[c]
            let bytes = reader.field(k)
            let quoted = reader.isQuoted(k)
            if !quoted && (bytes.isEmpty || isNullToken(bytes, column: c)) {
                row[c] = .null
                continue
            }
            if !UTF8Validation.isASCII(bytes), let bad = UTF8Validation.firstInvalidByte(bytes) {
                throw LoadKitError(.encoding, "invalid UTF-8 (the file must be UTF-8 encoded)",
                    at: .init(file: fileName, line: reader.fieldLine(k), column: schema.columns[c].name,
                              byteOffset: reader.inputOffset(ofByte: bad, inField: k)))
            }
            do {
                row[c] = try parser.parse(bytes, as: types[c])
            } catch {
                throw LoadKitError(.invalidValue, error.reason,
                    at: .init(file: fileName, line: reader.fieldLine(k), column: schema.columns[c].name))
            }
        }
        return true
    }

    @inline(__always)
    private func isNullToken(_ bytes: UnsafeRawBufferPointer, column: Int) -> Bool {
        for token in nullTokens[column] where token.count == bytes.count {
            if token.withUnsafeBytes({ $0.elementsEqual(bytes) }) { return true }
        }
        return false
    }
}
