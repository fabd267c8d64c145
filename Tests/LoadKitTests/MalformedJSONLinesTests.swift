import LoadKit
import Testing

/// The malformed JSON Lines corpus under `Fixtures/jsonl/malformed/`, read with ``Schemas/corpus``.
@Suite struct MalformedJSONLinesTests {
    static let corpus: [(file: String, expected: String)] = [
        ("not_json.jsonl", "line 2 (byte offset 105): not valid JSON: expected a key in double quotes, found 'n'"),
        ("truncated_object.jsonl",
         "line 1 (byte offset 23): not valid JSON: the line ends inside an object (missing '}')"),
        ("trailing_garbage.jsonl", "line 3 (byte offset 199): not valid JSON: expected the end of the line "
            + "after the JSON value (one value per line), found 'x'"),
        ("trailing_comma.jsonl", "line 2 (byte offset 116): not valid JSON: trailing comma before '}'"),
        ("duplicate_key.jsonl", "line 2, column id (byte offset 116): not valid JSON: duplicate key 'id'"),
        ("lone_surrogate.jsonl", #"line 2, column name (byte offset 111): not valid JSON: lone UTF-16 surrogate "#
            + #"\ud800 in a string (a high surrogate \ud800-\udbff must be followed by a low one \udc00-\udfff)"#),
        ("real_overflow.jsonl", "line 2, column dep_delay: JSON number 1e400 is out of the range of a real (64-bit float)"),
        ("array_line.jsonl", "line 2: expected a JSON object, found an array"),
        ("string_line.jsonl", "line 1: expected a JSON object, found a string"),
        ("null_line.jsonl", "line 3: expected a JSON object, found null"),
        ("unknown_key.jsonl", "line 2, column gate: key 'gate' is not declared in the table's "
            + "columns; declare it, or set ignore_extra_columns: true to drop it"),
        ("bad_integer_string.jsonl", "line 1, column id: 'abc' is not an integer"),
        ("fraction_for_integer.jsonl", "line 2, column id: JSON number 1.5 is not an integer"),
        ("integer_overflow.jsonl", "line 1, column id: JSON integer 9223372036854775808 is out of the 64-bit "
            + "range (-9223372036854775808 to 9223372036854775807)"),
        ("boolean_for_date.jsonl", "line 1, column day: JSON true is not a date"),
        ("number_for_boolean.jsonl", "line 1, column ok: JSON number 2 is not a boolean"),
        ("object_for_real.jsonl", "line 1, column dep_delay: a JSON object cannot be stored in a "
            + "column of type real; declare it text"),
        ("array_for_integer.jsonl", "line 1, column id: a JSON array cannot be stored in a "
            + "column of type integer; declare it text"),
        ("invalid_utf8.jsonl",
         "line 2 (byte offset 112): invalid UTF-8 (the file must be UTF-8 encoded)"),
        ("bad_date_string.jsonl", "line 1, column day: '2023-02-29' is not a valid date (YYYY-MM-DD)"),
        ("bad_boolean_string.jsonl", "line 1, column ok: 'maybe' is not a boolean "
            + "(true/false, t/f, yes/no, y/n, on/off, 1/0)"),
        ("dst_gap.jsonl", "line 2, column at: '2013-03-10T02:30:00' does not exist in "
            + "America/New_York (skipped by a daylight-saving change); give it a UTC offset"),
    ]

    @Test("Each malformed file fails with its exact error", arguments: corpus)
    func malformed(file: String, expected: String) throws {
        let options = SourceOptions(nullTokens: ["NA"], timeZone: newYork)
        let error = try #require(loadKitError {
            _ = try readRows(Fixture.path("jsonl/malformed/\(file)"), format: .jsonl,
                             schema: Schemas.corpus, options: options, displayName: file)
        })
        #expect(error.description == "\(file), \(expected)")
        #expect(!error.description.contains("DecodingError"))
    }

    @Test("Every file in the corpus folder has an expected error, and there are at least 8")
    func corpusIsComplete() {
        let files = Fixture.names(in: "jsonl/malformed")
        #expect(files == Self.corpus.map(\.file).sorted())
        #expect(files.count >= 8)
    }
}
