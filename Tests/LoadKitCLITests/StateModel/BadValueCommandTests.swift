import Foundation
import LoadKitTesting
import Testing

/// Bad values are refused through the binary with file, line and column, and the target is
/// left exactly as it was (issue 9, point 9).
@Suite struct BadValueCommandTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String
        var text: String
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "1e400 in a real column (CSV)", file: "bad.csv",
             text: "id,ts,v,tag\n1,2024-01-01T10:00:00Z,2.5,a\n2,2024-01-01T11:00:00Z,1e400,b\n",
             message: "bad.csv, line 3, column v: '1e400' is out of the range of a real (64-bit float)"),
        Case(name: "-inf in a real column (CSV)", file: "bad.csv",
             text: "id,ts,v,tag\n1,2024-01-01T10:00:00Z,-inf,a\n",
             message: "bad.csv, line 2, column v: '-inf' is not a real number (a real column holds finite numbers only)"),
        Case(name: "a hexadecimal number in a real column (CSV)", file: "bad.csv",
             text: "id,ts,v,tag\n1,2024-01-01T10:00:00Z,0x10,a\n",
             message: "bad.csv, line 2, column v: '0x10' is not a real number (write it in decimal, such as 2.5 or 1e-3)"),
        Case(name: "NaN in a real column (JSON string)", file: "bad.jsonl",
             text: "{\"id\": 1, \"ts\": \"2024-01-01T10:00:00Z\", \"v\": \"NaN\", \"tag\": \"a\"}\n",
             message: "bad.jsonl, line 1, column v: 'NaN' is not a real number (a real column holds finite numbers only)"),
        Case(name: "a trailing comma (JSON)", file: "bad.jsonl",
             text: "{\"id\": 1, \"ts\": \"2024-01-01T10:00:00Z\", \"v\": 1, \"tag\": \"a\"}\n{\"id\": 2, \"ts\": \"2024-01-01T11:00:00Z\", \"v\": 1,}\n",
             message: "bad.jsonl, line 2"),
        Case(name: "a duplicate key (JSON)", file: "bad.jsonl",
             text: "{\"id\": 1, \"ts\": \"2024-01-01T10:00:00Z\", \"v\": 1, \"v\": 2}\n",
             message: "duplicate key 'v'"),
        Case(name: "a lone surrogate (JSON)", file: "bad.jsonl",
             text: "{\"id\": 1, \"ts\": \"2024-01-01T10:00:00Z\", \"v\": 1, \"tag\": \"\\ud800\"}\n",
             message: "lone UTF-16 surrogate \\ud800"),
        Case(name: "an integer beyond 64 bits (JSON)", file: "bad.jsonl",
             text: "{\"id\": 12345678901234567890123, \"ts\": \"2024-01-01T10:00:00Z\", \"v\": 1, \"tag\": \"a\"}\n",
             message: "bad.jsonl, line 1, column id: JSON integer 12345678901234567890123 is out of the 64-bit range"),
    ]

    @Test("A bad value: exit 1, file, line, column and reason, no internal decoder text; the table unchanged", arguments: cases)
    func refused(_ bad: Case) throws {
        let project = try EventsProject()
        try project.day(1)
        _ = try project.json(["load", "--table", "events", "--partition", "2024-01-01"])
        let before = try project.fingerprint("events")
        let path = try project.directory.write(bad.file, bad.text)
        let result = try project.run(["load", "--table", "events", "--input", path])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(bad.message), "stderr: \(result.stderr)")
        for leaked in ["DecodingError", "dataCorrupted", "NSDebugDescription", "Swift."] {
            #expect(!result.stderr.contains(leaked), "stderr: \(result.stderr)")
        }
        #expect(try project.fingerprint("events") == before)
        #expect(try project.count("SELECT count(*) FROM events") == 3)
    }
}

/// Messages name files relative to the working directory when inside it (issue 10).
@Suite struct PathInMessageTests {
    @Test("From the config's parent folder, a bad source file is named from there; from elsewhere, absolutely")
    func relativeToWorkingDirectory() throws {
        let project = try EventsProject()
        try project.day(1, value: "abc")
        let parent = URL(fileURLWithPath: project.root).deletingLastPathComponent().path
        let folder = URL(fileURLWithPath: project.root).lastPathComponent
        let fromParent = try ChildProcess.run(Paths.binary, ["load", "--table", "events", "--partition", "2024-01-01",
                                                            "--config", "\(folder)/loadkit.yml"],
                                              environment: ["LOADKIT_FAILPOINT": ""], currentDirectory: parent)
        #expect(fromParent.status == 1)
        #expect(fromParent.stderr.contains("error: \(folder)/data/2024-01-01.csv, line 2, column v: 'abc' is not a real number"),
                "stderr: \(fromParent.stderr)")
        let elsewhere = try TemporaryDirectory(prefix: "elsewhere")
        let fromElsewhere = try ChildProcess.run(Paths.binary, ["load", "--table", "events", "--partition", "2024-01-01",
                                                               "--config", project.config],
                                                 environment: ["LOADKIT_FAILPOINT": ""],
                                                 currentDirectory: elsewhere.root)
        #expect(fromElsewhere.stderr.contains("error: \(project.root)/data/2024-01-01.csv, line 2"), "stderr: \(fromElsewhere.stderr)")
    }
}
