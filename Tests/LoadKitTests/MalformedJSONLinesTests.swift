import LoadKit
import Testing

/// The malformed JSON Lines corpus under `Fixtures/jsonl/malformed/`, read with ``Schemas/corpus``.
@Suite struct MalformedJSONLinesTests {
    /// `exact` descriptions must match whole; JSON syntax errors end in Foundation's own reason,
    /// so only their prefix is fixed.
    enum Expected: Sendable, CustomStringConvertible {
        case exact(String)
        case prefix(String)
        var description: String {
            switch self {
            case .exact(let text): return text
            case .prefix(let text): return text + "…"
            }
        }
    }

    static let corpus: [(file: String, expected: Expected)] = [
        ("not_json.jsonl", .prefix("line 2: not valid JSON: ")),
        ("truncated_object.jsonl", .prefix("line 1: not valid JSON: ")),
        ("trailing_garbage.jsonl", .prefix("line 3: not valid JSON: ")),
        ("array_line.jsonl", .exact("line 2: expected a JSON object, found an array")),
        ("string_line.jsonl", .exact("line 1: expected a JSON object, found a string")),
        ("null_line.jsonl", .exact("line 3: expected a JSON object, found null")),
        ("unknown_key.jsonl", .exact("line 2, column gate: key 'gate' is not declared in the table's "
            + "columns; declare it, or set ignore_extra_columns: true to drop it")),
        ("bad_integer_string.jsonl", .exact("line 1, column id: 'abc' is not an integer")),
        ("fraction_for_integer.jsonl", .exact("line 2, column id: JSON number 1.5 is not an integer")),
        ("integer_overflow.jsonl",
         .exact("line 1, column id: JSON number 9.223372036854776e+18 is not an integer")),
        ("boolean_for_date.jsonl", .exact("line 1, column day: JSON true is not a date")),
        ("number_for_boolean.jsonl", .exact("line 1, column ok: JSON number 2 is not a boolean")),
        ("object_for_real.jsonl", .exact("line 1, column dep_delay: a JSON object cannot be stored in a "
            + "column of type real; declare it text")),
        ("array_for_integer.jsonl", .exact("line 1, column id: a JSON array cannot be stored in a "
            + "column of type integer; declare it text")),
        ("invalid_utf8.jsonl",
         .exact("line 2 (byte offset 112): invalid UTF-8 (the file must be UTF-8 encoded)")),
        ("bad_date_string.jsonl", .exact("line 1, column day: '2023-02-29' is not a valid date (YYYY-MM-DD)")),
        ("bad_boolean_string.jsonl", .exact("line 1, column ok: 'maybe' is not a boolean "
            + "(true/false, t/f, yes/no, y/n, on/off, 1/0)")),
        ("dst_gap.jsonl", .exact("line 2, column at: '2013-03-10T02:30:00' does not exist in "
            + "America/New_York (skipped by a daylight-saving change); give it a UTC offset")),
    ]

    @Test("Each malformed file fails with its exact error", arguments: corpus)
    func malformed(file: String, expected: Expected) throws {
        let options = SourceOptions(nullTokens: ["NA"], timeZone: newYork)
        let error = try #require(loadKitError {
            _ = try readRows(Fixture.path("jsonl/malformed/\(file)"), format: .jsonl,
                             schema: Schemas.corpus, options: options, displayName: file)
        })
        switch expected {
        case .exact(let text):
            #expect(error.description == "\(file), \(text)")
        case .prefix(let text):
            #expect(error.code == .badJSON)
            #expect(error.description.hasPrefix("\(file), \(text)"), "\(error.description)")
            #expect(error.description.count > "\(file), \(text)".count)
        }
    }

    @Test("Every file in the corpus folder has an expected error, and there are at least 8")
    func corpusIsComplete() {
        let files = Fixture.names(in: "jsonl/malformed")
        #expect(files == Self.corpus.map(\.file).sorted())
        #expect(files.count >= 8)
    }
}
