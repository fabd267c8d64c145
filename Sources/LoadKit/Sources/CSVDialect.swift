/// How a CSV file is written: delimiter, quote character and the largest field accepted.
///
/// The defaults are RFC 4180's: comma and double quote. Both must be single ASCII bytes other
/// than CR and LF, and differ from each other.
public struct CSVDialect: Sendable, Hashable {
    /// The field delimiter byte (default `,`).
    public var delimiter: UInt8
    /// The quote byte (default `"`); inside a quoted field it is escaped by doubling it.
    public var quote: UInt8
    /// The largest field in bytes (default 256 MiB); a larger one is an error, which also stops
    /// an unterminated quote from swallowing a whole file into memory.
    public var maxFieldBytes: Int

    /// Creates a dialect.
    /// - Parameters:
    ///   - delimiter: the delimiter character, for example `","`, `";"` or `"\t"`.
    ///   - quote: the quote character.
    ///   - maxFieldBytes: the field size limit in bytes (at least 16 MiB is recommended).
    /// - Throws: ``LoadKitError`` `.schema` when a character is not a single ASCII byte, is a line
    ///   break, or the two are the same.
    public init(delimiter: Character = ",", quote: Character = "\"",
                maxFieldBytes: Int = 256 << 20) throws {
        guard let d = delimiter.asciiValue, let q = quote.asciiValue else {
            throw LoadKitError(.schema, "the CSV delimiter and quote must be single ASCII characters")
        }
        guard d != q, d != 10, d != 13, q != 10, q != 13 else {
            throw LoadKitError(.schema,
                "the CSV delimiter and quote must differ and must not be line breaks")
        }
        self.delimiter = d
        self.quote = q
        self.maxFieldBytes = maxFieldBytes
    }

    /// RFC 4180: comma, double quote, 256 MiB fields.
    public static let standard = try! CSVDialect()
}
