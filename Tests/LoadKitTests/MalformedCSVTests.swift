import Foundation
import LoadKit
import Testing

/// The malformed-input corpus under `Fixtures/csv/malformed/`, each file with the exact error it
/// must produce. Every file has (or should have had) the header of ``Schemas/corpus``.
@Suite struct MalformedCSVTests {
    static let quoteHint = "a quote inside a quoted field must be doubled (\"\")"
    static let notUTF8 = "invalid UTF-8 (the file must be UTF-8 encoded)"
    static let timestampForms = "(ISO 8601, for example 2013-01-01T05:00:00Z or 2013-01-01 00:00:00)"

    static let corpus: [(file: String, expected: String)] = [
        // Field counts.
        ("too_many_fields.csv", "line 3, column 7: expected 6 fields as in the header, found 7"),
        ("too_few_fields.csv", "line 2, column 6: expected 6 fields as in the header, found 5"),
        ("too_many_fields_later.csv", "line 5, column 7: expected 6 fields as in the header, found 8"),
        ("too_few_after_multiline.csv", "line 5, column 4: expected 6 fields as in the header, found 3"),
        ("too_many_on_multiline_record.csv", "line 3, column 7: expected 6 fields as in the header, found 7"),
        ("too_few_after_multiline_crlf.csv", "line 5, column 3: expected 6 fields as in the header, found 2"),
        // Quotes.
        ("unterminated_quote_at_end.csv",
         "line 3, column 2: unterminated quoted field: the closing quote is missing"),
        ("unterminated_quote_spanning_lines.csv",
         "line 2, column 2: unterminated quoted field: the closing quote is missing"),
        ("char_after_closing_quote.csv",
         "line 2, column 2: unexpected 'x' after the closing quote of a quoted field; \(quoteHint)"),
        ("char_after_multiline_quote.csv",
         "line 3, column 2: unexpected 'x' after the closing quote of a quoted field; \(quoteHint)"),
        ("space_after_closing_quote.csv",
         "line 3, column 3: unexpected ' ' after the closing quote of a quoted field; \(quoteHint)"),
        // Encoding.
        ("invalid_utf8_value.csv", "line 2, column name (byte offset 31): \(notUTF8)"),
        ("invalid_utf8_quoted_value.csv", "line 3, column name (byte offset 83): \(notUTF8)"),
        ("invalid_utf8_overlong.csv", "line 2, column name (byte offset 30): \(notUTF8)"),
        ("invalid_utf8_surrogate.csv", "line 2, column name (byte offset 33): \(notUTF8)"),
        ("invalid_utf8_header.csv", "line 1, column 2 (byte offset 4): invalid UTF-8 in the header"),
        // Header.
        ("duplicate_header.csv", "line 1, column 5: duplicate column name 'name' in the header (also column 2)"),
        ("empty_header_name.csv", "line 1, column 3: the header has an empty column name"),
        ("empty.csv", "line 1: no header: the file is empty"),
        ("blank_lines_only.csv", "line 1: no header: the file is empty"),
        ("bom_only.csv", "line 1: no header: the file is empty"),
        ("missing_column.csv", "line 1, column ok: declared column 'ok' is missing from the header; "
            + "the header has: id, name, dep_delay, day, at"),
        ("undeclared_column.csv", "line 1, column gate: input column 'gate' is not declared in the table's "
            + "columns; declare it, or set ignore_extra_columns: true to drop it"),
        // Values.
        ("bad_integer.csv", "line 3, column id: 'abc' is not an integer"),
        ("integer_overflow.csv",
         "line 2, column id: '9223372036854775808' is not an integer (or is out of the 64-bit range)"),
        ("integer_with_fraction.csv", "line 2, column id: '1.0' is not an integer"),
        ("bad_real.csv", "line 3, column dep_delay: 'abc' is not a real number"),
        ("nan_real.csv", "line 2, column dep_delay: 'nan' is not a real number "
            + "(a real column holds finite numbers only)"),
        ("bad_real_after_multiline.csv", "line 5, column dep_delay: '1..5' is not a real number"),
        ("bad_boolean.csv",
         "line 2, column ok: 'maybe' is not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)"),
        ("bad_date_feb30.csv", "line 2, column day: '2013-02-30' is not a valid date (YYYY-MM-DD)"),
        ("bad_date_month13.csv", "line 3, column day: '2013-13-01' is not a valid date (YYYY-MM-DD)"),
        ("bad_date_short.csv", "line 2, column day: '2013-1-1' is not a valid date (YYYY-MM-DD)"),
        ("bad_timestamp.csv", "line 2, column at: 'yesterday at noon' is not a valid timestamp \(timestampForms)"),
        ("timestamp_bad_offset.csv",
         "line 2, column at: '2013-01-01T05:00:00+5' is not a valid timestamp \(timestampForms)"),
        ("timestamp_dst_gap.csv", "line 3, column at: '2013-03-10T02:30:00' does not exist in "
            + "America/New_York (skipped by a daylight-saving change); give it a UTC offset"),
    ]

    @Test("Each malformed file fails with its exact error", arguments: corpus)
    func malformed(file: String, expected: String) {
        let options = SourceOptions(nullTokens: ["NA"], timeZone: newYork)
        let error = loadKitError {
            _ = try readRows(Fixture.path("csv/malformed/\(file)"), schema: Schemas.corpus,
                             options: options, displayName: file)
        }
        #expect(error?.description == "\(file), \(expected)")
        #expect(error?.isTransient == false)
    }

    @Test("Every file in the corpus folder has an expected error, and there are at least 25")
    func corpusIsComplete() {
        let files = Fixture.names(in: "csv/malformed")
        #expect(files == Self.corpus.map(\.file).sorted())
        #expect(files.count >= 25)
    }
}
