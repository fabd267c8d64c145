import Foundation

/// Typed rows from a JSON Lines file (https://jsonlines.org): one JSON object per line.
///
/// Keys are matched to declared columns by name; a key the schema does not declare is an error
/// unless ``SourceOptions/ignoreExtraColumns``; a declared column whose key is absent is NULL.
/// Blank lines are skipped. Strings are read as the column's type (so `"2013-01-01T05:00:00Z"`
/// fills a timestamp column) and compared with the null tokens; numbers and booleans fill
/// numeric and boolean columns directly; arrays and objects are stored in text columns as JSON
/// text with sorted keys, so the same object always gives the same text.
public final class JSONLinesSource: RowSource {
    public let schema: TableSchema
    public let fileName: String
    public var line: Int { lines.lineNumber }

    private let lines: LineReader
    private let parser: ValueParser
    private let options: SourceOptions
    private let decoder = JSONDecoder()
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Opens a JSON Lines source.
    /// - Parameters:
    ///   - source: the input bytes.
    ///   - fileName: how errors name the file.
    ///   - schema: the declared columns.
    ///   - options: null tokens, extra keys, time zone.
    public init(source: any ByteSource, fileName: String, schema: TableSchema,
                options: SourceOptions) throws {
        self.schema = schema
        self.fileName = fileName
        self.lines = LineReader(source: source)
        self.parser = ValueParser(localTime: LocalTimeResolver(timeZone: options.timeZone))
        self.options = options
    }

    public func next(into row: inout [Value]) throws -> Bool {
        while true {
            let parsed: JSONValue?? = try lines.next { bytes -> JSONValue? in
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return nil }
                if let bad = UTF8Validation.firstInvalidByte(bytes) {
                    throw LoadKitError(.encoding, "invalid UTF-8 (the file must be UTF-8 encoded)",
                        at: .init(file: fileName, line: lines.lineNumber,
                                  byteOffset: lines.lineOffset + bad))
                }
                do {
                    return try decoder.decode(JSONValue.self, from: Data(bytes))
                } catch {
                    throw LoadKitError(.badJSON, "not valid JSON: \(Self.reason(error))",
                                       at: .init(file: fileName, line: lines.lineNumber))
                }
            }
            guard let parsed else { return false }
            guard let value = parsed else { continue }
            guard case .object(let object) = value else {
                throw LoadKitError(.badJSON, "expected a JSON object, found \(value.kind)",
                                   at: .init(file: fileName, line: line))
            }
            try fill(&row, from: object)
            return true
        }
    }

    private func fill(_ row: inout [Value], from object: [String: JSONValue]) throws {
        if !options.ignoreExtraColumns,
           let extra = object.keys.sorted().first(where: { schema.index(of: $0) == nil }) {
            throw LoadKitError(.unknownColumn,
                "key '\(extra)' is not declared in the table's columns; "
                + "declare it, or set ignore_extra_columns: true to drop it",
                at: .init(file: fileName, line: line, column: extra))
        }
        row = try schema.columns.map { column in
            do {
                return try convert(object[column.name] ?? .null, to: column)
            } catch let failure as ValueParser.Failure {
                throw LoadKitError(.invalidValue, failure.reason,
                                   at: .init(file: fileName, line: line, column: column.name))
            }
        }
    }

    private func convert(_ json: JSONValue, to column: Column) throws -> Value {
        let type = column.type
        switch json {
        case .null:
            return .null
        case .string(let s):
            if (column.nullTokens ?? options.nullTokens).contains(s) { return .null }
            if type == .text { return .text(s) }
            var copy = s
            return try copy.withUTF8 { try parser.parse(UnsafeRawBufferPointer($0), as: type) }
        case .bool(let b):
            switch type {
            case .boolean, .integer: return .integer(b ? 1 : 0)
            case .text: return .text(b ? "true" : "false")
            default: throw ValueParser.Failure(reason: "JSON \(b) is not a \(type.rawValue)")
            }
        case .integer(let i):
            switch type {
            case .integer: return .integer(i)
            case .real: return .real(Double(i))
            case .text: return .text(String(i))
            case .boolean where i == 0 || i == 1: return .integer(i)
            default: throw ValueParser.Failure(reason: "JSON number \(i) is not a \(type.rawValue)")
            }
        case .number(let d):
            switch type {
            case .real: return .real(d)
            case .text: return .text(String(d))
            case .integer:
                guard let i = Int64(exactly: d) else {
                    throw ValueParser.Failure(reason: "JSON number \(d) is not an integer")
                }
                return .integer(i)
            default: throw ValueParser.Failure(reason: "JSON number \(d) is not a \(type.rawValue)")
            }
        case .array, .object:
            guard type == .text else {
                let what = if case .array = json { "a JSON array" } else { "a JSON object" }
                throw ValueParser.Failure(reason:
                    "\(what) cannot be stored in a column of type \(type.rawValue); declare it text")
            }
            return .text(String(decoding: try encoder.encode(json), as: UTF8.self))
        }
    }

    /// The innermost, most specific description of a decoding error.
    private static func reason(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else {
            return "\(error)"
        }
        if let underlying = context.underlyingError {
            let text = "\(underlying)"
            if let range = text.range(of: "NSDebugDescription=") {
                return String(text[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "})"))
            }
            return text
        }
        return context.debugDescription
    }
}
