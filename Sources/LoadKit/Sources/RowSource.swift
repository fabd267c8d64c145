import Foundation

/// A stream of typed rows in a table's declared column order.
///
/// Implemented by ``CSVSource`` and ``JSONLinesSource``; writers consume it one row at a time,
/// so memory does not grow with the input.
public protocol RowSource: AnyObject {
    /// The declared schema; every row has one value per column, in this order.
    var schema: TableSchema { get }
    /// The file name used in error messages.
    var fileName: String { get }
    /// The physical line (1-based) of the row last returned by ``next(into:)``.
    var line: Int { get }
    /// Reads the next row into the first `schema.columns.count` slots of `row` (made that long
    /// when it is shorter; later slots are left as they are, so a loader can read a row straight
    /// into its stored row and fill the columns it adds itself).
    /// - Parameter row: receives `schema.columns.count` values.
    /// - Returns: `false` at the end of the input (then `row` is unchanged).
    /// - Throws: ``LoadKitError`` naming file, line and column.
    func next(into row: inout [Value]) throws -> Bool
}

/// How a source reads its input: null tokens, extra columns, time zone, CSV dialect.
public struct SourceOptions: Sendable {
    /// Tokens read as NULL in every column unless the column sets its own (SPEC.md
    /// `null_values`). Only unquoted CSV fields and JSON strings are compared; a quoted `"NA"`
    /// is text, as in PostgreSQL's `COPY … CSV`.
    public var nullTokens: [String]
    /// When `true`, input columns (or JSON keys) not in the schema are dropped instead of
    /// being an error.
    public var ignoreExtraColumns: Bool
    /// The zone in which timestamps without a UTC offset are read.
    public var timeZone: TimeZone
    /// The CSV dialect (ignored by JSON Lines).
    public var csv: CSVDialect

    /// Creates options; the defaults are no null tokens, extra columns refused, UTC, RFC 4180.
    public init(nullTokens: [String] = [], ignoreExtraColumns: Bool = false,
                timeZone: TimeZone = TimeZone(identifier: "UTC")!, csv: CSVDialect = .standard) {
        self.nullTokens = nullTokens
        self.ignoreExtraColumns = ignoreExtraColumns
        self.timeZone = timeZone
        self.csv = csv
    }
}

/// The format of an input file.
public enum SourceFormat: String, Sendable, CaseIterable {
    /// RFC 4180 comma-separated values with a header row.
    case csv
    /// JSON Lines: one JSON object per line (https://jsonlines.org).
    case jsonl

    /// The format implied by a file name: `.jsonl`, `.ndjson` (optionally followed by `.gz`)
    /// are JSON Lines, everything else CSV.
    public static func inferred(fromPath path: String) -> SourceFormat {
        let name = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path
        return name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") ? .jsonl : .csv
    }

    /// Opens `path` as a typed row source in this format.
    /// - Parameters:
    ///   - path: the input file (`.gz` is decompressed).
    ///   - schema: the declared columns.
    ///   - options: null tokens, extra columns, time zone, dialect.
    ///   - displayName: how errors name the file; defaults to `path`.
    /// - Throws: ``LoadKitError`` from opening the file or reading its header.
    public func open(_ path: String, schema: TableSchema, options: SourceOptions,
                     displayName: String? = nil) throws -> any RowSource {
        let name = displayName ?? path
        let bytes = try InputFile.open(path, displayName: name)
        switch self {
        case .csv: return try CSVSource(source: bytes, fileName: name, schema: schema, options: options)
        case .jsonl: return try JSONLinesSource(source: bytes, fileName: name, schema: schema, options: options)
        }
    }
}
