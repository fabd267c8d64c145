/// The error type of the LoadKit core: bad input, bad schema, I/O failures.
///
/// A struct with a ``Code`` rather than an enum of cases, so new codes can be added without
/// breaking callers that switch over them. Every error says where (``Location``) and whether a
/// retry could help (``isTransient``): the retry policy reads that flag and nothing else.
///
/// `description` renders the error for people, for example
/// `flights.csv, line 17, column dep_delay: 'abc' is not a real number`.
public struct LoadKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code such as `csv.unterminated_quote`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The dotted code text, stable across releases.
        public let rawValue: String
        /// Wraps a code text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The input file could not be opened or read.
        public static let io = Code("io")
        /// The input file has no header row (it is empty).
        public static let noHeader = Code("source.no_header")
        /// Two header fields share a name, or a header field is empty.
        public static let badHeader = Code("source.bad_header")
        /// A declared column is missing from the input.
        public static let missingColumn = Code("source.missing_column")
        /// The input has a column (or JSON key) that the schema does not declare.
        public static let unknownColumn = Code("source.unknown_column")
        /// A CSV row has more or fewer fields than the header.
        public static let fieldCount = Code("csv.field_count")
        /// A quoted CSV field is not closed before the end of the input.
        public static let unterminatedQuote = Code("csv.unterminated_quote")
        /// A character follows a closing quote where a delimiter or line end belongs.
        public static let badQuote = Code("csv.bad_quote")
        /// A field is larger than the reader's limit.
        public static let fieldTooLarge = Code("csv.field_too_large")
        /// The input is not valid UTF-8.
        public static let encoding = Code("source.encoding")
        /// A value cannot be read as its column's type.
        public static let invalidValue = Code("value.invalid")
        /// A JSON Lines line is not a JSON object.
        public static let badJSON = Code("jsonl.invalid")
        /// The schema itself is wrong (bad column name, unknown type).
        public static let schema = Code("schema.invalid")
    }

    /// Where in the input an error was found. Lines are physical lines, 1-based, the header
    /// being line 1; for a field that spans lines, the line where the field starts.
    public struct Location: Sendable, Equatable {
        /// The input file as the user named it.
        public var file: String?
        /// The 1-based physical line.
        public var line: Int?
        /// The column name, when the error concerns a declared or header column.
        public var column: String?
        /// The 1-based field position, when no column name applies (field-count errors).
        public var field: Int?
        /// The 0-based byte offset in the (decompressed) input, for encoding errors.
        public var byteOffset: Int?

        /// Creates a location; every part is optional.
        public init(file: String? = nil, line: Int? = nil, column: String? = nil,
                    field: Int? = nil, byteOffset: Int? = nil) {
            self.file = file
            self.line = line
            self.column = column
            self.field = field
            self.byteOffset = byteOffset
        }
    }

    /// What went wrong, as a code.
    public var code: Code
    /// The reason, phrased so that it says what to fix.
    public var message: String
    /// Where it went wrong.
    public var location: Location
    /// `true` when trying again may succeed (a busy database, a flaky disk); bad data is never
    /// transient.
    public var isTransient: Bool

    /// Creates an error.
    /// - Parameters:
    ///   - code: the machine-readable code.
    ///   - message: the reason, without the location (it is prefixed by `description`).
    ///   - location: where; defaults to nowhere in particular.
    ///   - isTransient: whether a retry could help; defaults to `false`.
    public init(_ code: Code, _ message: String, at location: Location = Location(),
                isTransient: Bool = false) {
        self.code = code
        self.message = message
        self.location = location
        self.isTransient = isTransient
    }

    /// `file, line L, column C (byte offset B): message`, leaving out the parts that are unknown.
    public var description: String {
        var parts: [String] = []
        if let file = location.file { parts.append(file) }
        if let line = location.line { parts.append("line \(line)") }
        if let column = location.column {
            parts.append("column \(column)")
        } else if let field = location.field {
            parts.append("column \(field)")
        }
        var prefix = parts.joined(separator: ", ")
        if let offset = location.byteOffset {
            prefix += prefix.isEmpty ? "byte offset \(offset)" : " (byte offset \(offset))"
        }
        return prefix.isEmpty ? message : "\(prefix): \(message)"
    }
}

extension LoadKitError.Code {
    /// A partition key is malformed or names no partition of the table's scheme (a usage error).
    public static let partitionKey = LoadKitError.Code("partition.key")
}
