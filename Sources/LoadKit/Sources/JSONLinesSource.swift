/// Typed rows from a JSON Lines file (https://jsonlines.org): one JSON object per line.
///
/// Each line is parsed strictly as RFC 8259 JSON by ``JSONParser``: a trailing comma, a
/// duplicate key, a lone UTF-16 surrogate escape, `NaN`/`Infinity` or more than 512 levels of
/// nesting is a `.badJSON` error naming the file, the line, the byte offset and, inside a
/// member's value, the key as the column. Keys are matched to declared columns by name; a key
/// the schema does not declare is an error unless ``SourceOptions/ignoreExtraColumns``; a
/// declared column whose key is absent is NULL. Blank lines are skipped; a UTF-8 byte-order
/// mark may start the first line.
///
/// Conversions into a column's type (`.invalidValue` when impossible):
/// - strings are compared with the null tokens, then read as the column's type (so
///   `"2013-01-01T05:00:00Z"` fills a timestamp column, `"1e400"` is refused in a real column);
/// - numbers keep their text: a text column stores it as written (`12345678901234567890123`
///   keeps every digit); an integer column takes a whole number in the 64-bit range (`3`, `3.0`,
///   `3e0`; `1.5` is not an integer, `9223372036854775808` is out of range); a real column takes
///   the nearest double of any number up to ±1.7976931348623157e308 (so a 30-digit integer is
///   accepted, rounded as a double would round it; `1e400` is refused); a boolean column takes
///   `0` and `1`;
/// - booleans fill boolean and integer columns (1/0) and text columns (`true`/`false`);
/// - arrays and objects go only into text columns, as compact JSON text with sorted keys (the
///   text Foundation's `JSONEncoder` gives with sorted keys), so the same object always gives the
///   same text; see ``JSONValue/canonicalText()``.
public final class JSONLinesSource: RowSource {
    public let schema: TableSchema
    public let fileName: String
    public var line: Int { lines.lineNumber }

    private let lines: LineReader
    private let parser: ValueParser
    private let options: SourceOptions
    private var json = JSONParser()
    private let columns: [Column]
    private let columnIndex: [String: Int]
    /// For each column, the index of the member of the current line that fills it, or -1.
    private var slots: [Int]

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
        self.columns = schema.columns
        self.columnIndex = Dictionary(uniqueKeysWithValues: schema.columns.enumerated().map { ($1.name, $0) })
        self.slots = Array(repeating: -1, count: schema.columns.count)
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
                do throws(JSONParser.Failure) {
                    return try json.parse(bytes, allowsByteOrderMark: lines.lineOffset == 0)
                } catch {
                    throw LoadKitError(.badJSON, "not valid JSON: \(error.reason)",
                        at: .init(file: fileName, line: lines.lineNumber, column: error.key,
                                  byteOffset: lines.lineOffset + error.offset))
                }
            }
            guard let parsed else { return false }
            guard let value = parsed else { continue }
            guard case .object(let members) = value else {
                throw LoadKitError(.badJSON, "expected a JSON object, found \(value.kind)",
                                   at: .init(file: fileName, line: line))
            }
            try fill(&row, from: members)
            return true
        }
    }

    private func fill(_ row: inout [Value], from members: [JSONMember]) throws {
        for c in slots.indices { slots[c] = -1 }
        var unknown: String?
        var guess = 0
        for (m, member) in members.enumerated() {
            // Keys usually come in column order: try the column after the last match first.
            let c = guess < columns.count && columns[guess].name == member.key ? guess : columnIndex[member.key]
            if let c {
                slots[c] = m
                guess = c + 1
            } else if !options.ignoreExtraColumns, unknown.map({ member.key < $0 }) ?? true {
                unknown = member.key
            }
        }
        if let unknown {
            throw LoadKitError(.unknownColumn,
                "key '\(unknown)' is not declared in the table's columns; "
                + "declare it, or set ignore_extra_columns: true to drop it",
                at: .init(file: fileName, line: line, column: unknown))
        }
        if row.count < columns.count {
            row = Array(repeating: .null, count: columns.count)
        }
        for c in columns.indices {
            let m = slots[c]
            guard m >= 0 else {
                row[c] = .null
                continue
            }
            do {
                row[c] = try convert(members[m].value, to: columns[c])
            } catch {
                throw LoadKitError(.invalidValue, error.reason,
                                   at: .init(file: fileName, line: line, column: columns[c].name))
            }
        }
    }

    private func convert(_ json: JSONValue, to column: Column) throws(ValueParser.Failure) -> Value {
        let type = column.type
        switch json {
        case .null:
            return .null
        case .string(let s):
            if (column.nullTokens ?? options.nullTokens).contains(s) { return .null }
            if type == .text { return .text(s) }
            var copy = s
            return try copy.withUTF8 { bytes in
                Result { () throws(ValueParser.Failure) in try parser.parse(UnsafeRawBufferPointer(bytes), as: type) }
            }.get()
        case .bool(let b):
            switch type {
            case .boolean, .integer: return .integer(b ? 1 : 0)
            case .text: return .text(b ? "true" : "false")
            default: throw ValueParser.Failure(reason: "JSON \(b) is not a \(type.rawValue)")
            }
        case .number(let n):
            switch type {
            case .text:
                return .text(n.text)
            case .integer:
                switch n.integral {
                case .value(let i): return .integer(i)
                case .notInteger: throw ValueParser.Failure(reason: "JSON number \(n.shown) is not an integer")
                case .outOfRange:
                    throw ValueParser.Failure(reason: "JSON \(n.isIntegerSyntax ? "integer" : "number") \(n.shown) "
                        + "is out of the 64-bit range (-9223372036854775808 to 9223372036854775807)")
                }
            case .real:
                guard let d = n.double else {
                    throw ValueParser.Failure(reason:
                        "JSON number \(n.shown) is out of the range of a real (64-bit float)")
                }
                return .real(d)
            case .boolean:
                if case .value(let i) = n.integral, i == 0 || i == 1 { return .integer(i) }
                throw ValueParser.Failure(reason: "JSON number \(n.shown) is not a boolean")
            default:
                throw ValueParser.Failure(reason: "JSON number \(n.shown) is not a \(type.rawValue)")
            }
        case .array, .object:
            guard type == .text else {
                let what = if case .array = json { "a JSON array" } else { "a JSON object" }
                throw ValueParser.Failure(reason:
                    "\(what) cannot be stored in a column of type \(type.rawValue); declare it text")
            }
            return .text(try json.canonicalText())
        }
    }
}
