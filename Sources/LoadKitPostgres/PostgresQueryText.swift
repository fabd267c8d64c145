import LoadKit

/// A transform's SQL read the way PostgreSQL's lexer reads it, before anything is sent: one
/// query, its `:partition` placeholders, and the text loadkit wraps (SPEC.md §1 G7, §7).
///
/// The scan knows PostgreSQL's lexical structure (PostgreSQL manual §4.1): `'…'` strings (`''`
/// inside), `E'…'` strings (backslash escapes), `"…"` identifiers (`""` inside), dollar-quoted
/// strings (`$$…$$`, `$tag$…$tag$`), `--` and nested `/* … */` comments, and the `::` cast. Outside
/// those it checks:
/// - the first word (after comments and opening parentheses) is `SELECT`, `WITH`, `VALUES` or
///   `TABLE`: the forms of a query;
/// - no `;` is followed by anything but whitespace, comments and more `;` (one statement);
/// - parentheses balance, and no `)` closes one that the SQL did not open, so the SQL cannot
///   close the parenthesis loadkit wraps it in (``PostgresReadOnlyQuery``).
///
/// These are only the first of the guards: PostgreSQL's own parse, plan and a read-only
/// execution decide the rest (``PostgresReadOnlyQuery``).
///
/// `:partition` outside strings, identifiers and comments, and not part of `::partition`, is the
/// partition key: ``body`` has it as `$1`, a `text` parameter, never spliced.
///
/// ```swift
/// let text = try PostgresQueryText("SELECT carrier, count(*) FROM flights WHERE flight_date = :partition GROUP BY 1;")
/// text.body            // "SELECT carrier, count(*) FROM flights WHERE flight_date = $1 GROUP BY 1"
/// text.usesPartition   // true
/// ```
public struct PostgresQueryText: Sendable, Hashable {
    /// The SQL as written.
    public let sql: String
    /// The query without trailing semicolons (and what follows the last one), `:partition` as
    /// `$1`.
    public let body: String
    /// Whether the SQL names `:partition`.
    public let usesPartition: Bool
    /// The byte ranges of each `:partition` in ``sql`` (UTF-8 offsets).
    private let placeholders: [Range<Int>]
    /// The UTF-8 length of the query part of ``sql`` (before the trailing semicolons).
    private let queryLength: Int

    /// Reads `sql`.
    /// - Throws: ``LoadKit/LoadKitError`` `.transformNotReadOnly` (terminal), saying why: no
    ///   statement, a first word that is not a query's (`DELETE is not a query`), a second
    ///   statement after a `;`, parentheses that do not balance, an unterminated string,
    ///   identifier or comment.
    public init(_ sql: String) throws {
        self.sql = sql
        let bytes = Array(sql.utf8)
        var scan = Scanner(bytes: bytes)
        try scan.run()
        placeholders = scan.placeholders
        queryLength = scan.queryEnd
        usesPartition = !scan.placeholders.isEmpty
        body = Self.replacing(bytes, upTo: scan.queryEnd, placeholders: scan.placeholders, with: "$1")
        guard let first = scan.firstWord else {
            throw Self.refused("the SQL holds no statement, only whitespace or comments")
        }
        guard ["SELECT", "WITH", "VALUES", "TABLE"].contains(first.uppercased()) else {
            throw Self.refused("\(first.uppercased()) is not a query")
        }
    }

    /// ``body`` with each `:partition` written as `replacement` instead of `$1` (for example
    /// `NULL::text`, where no parameter can be bound: a view's definition).
    public func body(partitionAs replacement: String) -> String {
        Self.replacing(Array(sql.utf8), upTo: queryLength, placeholders: placeholders, with: replacement)
    }

    /// The refusal of a transform's SQL, in the words the SQLite check uses.
    public static func refused(_ reason: String) -> LoadKitError {
        LoadKitError(.transformNotReadOnly,
                     reason + "; a transform's SQL must be exactly one read-only query (SELECT or WITH … SELECT)")
    }

    private static func replacing(_ bytes: [UInt8], upTo end: Int, placeholders: [Range<Int>],
                                  with replacement: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(end)
        var position = 0
        for range in placeholders {
            out += bytes[position..<range.lowerBound]
            out += Array(replacement.utf8)
            position = range.upperBound
        }
        out += bytes[position..<end]
        return String(decoding: out, as: UTF8.self)
    }

    /// The first line of `text`, trimmed, at most 80 characters.
    static func excerpt(_ text: Substring) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map {
            String($0.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        } ?? ""
        return line.count > 80 ? line.prefix(80) + "…" : line
    }

    /// One pass over the SQL's bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var depth = 0
        var firstWord: String?
        var placeholders: [Range<Int>] = []
        /// Where the query ends: the first top-level `;`, else the end.
        var queryEnd = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            queryEnd = bytes.count
        }

        static func isIdentifierStart(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
        }

        static func isIdentifierPart(_ b: UInt8) -> Bool {
            isIdentifierStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x24
        }

        func byte(_ offset: Int) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        mutating func run() throws {
            var sawSemicolon = false
            while index < bytes.count {
                let b = bytes[index]
                if sawSemicolon {
                    // After the query: only whitespace, comments and semicolons.
                    if try skipSpaceOrComment() { continue }
                    if b == 0x3B { index += 1; continue }
                    let rest = String(decoding: bytes[index...], as: UTF8.self)
                    throw PostgresQueryText.refused("a second statement follows the query: "
                        + PostgresQueryText.excerpt(Substring(rest)))
                }
                if try skipSpaceOrComment() { continue }
                if firstWord == nil, b != 0x28, !Self.isIdentifierStart(b) {
                    // A query starts with a word; anything else (a string, a number, `*`) is no query.
                    firstWord = String(decoding: [b < 0x80 ? b : 0x3F], as: UTF8.self)
                }
                switch b {
                case 0x3B: // ;
                    if depth != 0 { throw PostgresQueryText.refused("its parentheses do not balance") }
                    sawSemicolon = true
                    queryEnd = index
                    index += 1
                case 0x28: // (
                    depth += 1
                    index += 1
                case 0x29: // )
                    depth -= 1
                    if depth < 0 {
                        throw PostgresQueryText.refused("a ')' closes a parenthesis the query did not open")
                    }
                    index += 1
                case 0x27: // '
                    try skipString(backslashes: false)
                case 0x22: // "
                    try skipQuotedIdentifier()
                case 0x24 where byte(1).map({ !($0 >= 0x30 && $0 <= 0x39) }) ?? false: // $tag$, not $1
                    if try !skipDollarQuoted() { index += 1 }
                case 0x3A: // :
                    if byte(1) == 0x3A { index += 2; break }
                    let name = Array("partition".utf8)
                    let end = index + 1 + name.count
                    if end <= bytes.count, Array(bytes[(index + 1)..<end]) == name,
                       end == bytes.count || !Self.isIdentifierPart(bytes[end]) {
                        placeholders.append(index..<end)
                        index = end
                    } else {
                        index += 1
                    }
                case _ where Self.isIdentifierStart(b):
                    var end = index + 1
                    while end < bytes.count, Self.isIdentifierPart(bytes[end]) { end += 1 }
                    let word = String(decoding: bytes[index..<end], as: UTF8.self)
                    if firstWord == nil { firstWord = word }
                    // E'…' (and e'…'): an escape string, where a backslash escapes the quote.
                    if end - index == 1, b == 0x45 || b == 0x65, end < bytes.count, bytes[end] == 0x27 {
                        index = end
                        try skipString(backslashes: true)
                    } else {
                        index = end
                    }
                case 0x30...0x39:
                    var end = index + 1
                    while end < bytes.count, Self.isIdentifierPart(bytes[end]) || bytes[end] == 0x2E { end += 1 }
                    index = end
                default:
                    index += 1
                }
            }
            if !sawSemicolon && depth != 0 { throw PostgresQueryText.refused("its parentheses do not balance") }
        }

        /// Skips whitespace or one comment at `index`; `false` when there is none.
        mutating func skipSpaceOrComment() throws -> Bool {
            let b = bytes[index]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C {
                index += 1
                return true
            }
            if b == 0x2D, byte(1) == 0x2D { // --
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
                return true
            }
            if b == 0x2F, byte(1) == 0x2A { // /* nested */
                var nesting = 0
                while index < bytes.count {
                    if bytes[index] == 0x2F, byte(1) == 0x2A {
                        nesting += 1
                        index += 2
                    } else if bytes[index] == 0x2A, byte(1) == 0x2F {
                        nesting -= 1
                        index += 2
                        if nesting == 0 { return true }
                    } else {
                        index += 1
                    }
                }
                throw PostgresQueryText.refused("a /* comment is never closed")
            }
            return false
        }

        mutating func skipString(backslashes: Bool) throws {
            index += 1
            while index < bytes.count {
                let b = bytes[index]
                if backslashes && b == 0x5C { index += 2; continue }
                if b == 0x27 {
                    if byte(1) == 0x27 { index += 2; continue }
                    index += 1
                    return
                }
                index += 1
            }
            throw PostgresQueryText.refused("a string constant is never closed")
        }

        mutating func skipQuotedIdentifier() throws {
            index += 1
            while index < bytes.count {
                if bytes[index] == 0x22 {
                    if byte(1) == 0x22 { index += 2; continue }
                    index += 1
                    return
                }
                index += 1
            }
            throw PostgresQueryText.refused("a quoted identifier is never closed")
        }

        /// Skips `$tag$ … $tag$` at `index` (the `$` not part of an identifier); `false` when
        /// the `$` starts no dollar quote.
        mutating func skipDollarQuoted() throws -> Bool {
            if index > 0, Self.isIdentifierPart(bytes[index - 1]) { return false }
            var end = index + 1
            if end < bytes.count, Self.isIdentifierStart(bytes[end]) {
                while end < bytes.count, Self.isIdentifierPart(bytes[end]) && bytes[end] != 0x24 { end += 1 }
            }
            guard end < bytes.count, bytes[end] == 0x24 else { return false }
            let tag = Array(bytes[index...end])
            var search = end + 1
            while search + tag.count <= bytes.count {
                if bytes[search] == 0x24, Array(bytes[search..<(search + tag.count)]) == tag {
                    index = search + tag.count
                    return true
                }
                search += 1
            }
            throw PostgresQueryText.refused("a dollar-quoted string is never closed")
        }
    }
}
