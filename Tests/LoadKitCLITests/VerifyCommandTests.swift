import Foundation
import LoadKitTesting
import Testing

@Suite struct VerifyCommandTests {
    static let steps = ["load", "load again", "crash at after_staging, load again",
                        "crash at before_commit, load again", "crash at after_commit, load again"]

    private func digest(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test("verify passes on every table of the flights example and leaves the warehouse byte for byte as it was",
          arguments: [("flights", "2013-01-05"), ("daily_delays", "2013-01-05"), ("airlines", nil)] as [(String, String?)])
    func examplePasses(table: String, partition: String?) throws {
        let workspace = try ExampleWorkspace()
        _ = try workspace.json(["backfill", "--table", "daily_delays", "--from", "2013-01-04", "--to", "2013-01-06", "--quiet"])
        let before = try digest(workspace.warehouse)
        let report = try workspace.json(["verify", "--table", table] + (partition.map { ["--partition", $0] } ?? []))
        #expect(report["ok"] as? Bool == true)
        #expect(report["inPlace"] as? Bool == false)
        #expect(report["table"] as? String == table)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.map { $0["step"] as? String } == Self.steps)
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true })
        #expect(Set(steps.compactMap { $0["fingerprint"] as? String }).count == 1)
        let rows = Set(steps.compactMap { $0["rows"] as? Int })
        #expect(rows == [table == "flights" ? 720 : table == "airlines" ? 16 : 14])
        #expect(steps.dropFirst(2).allSatisfy { ($0["detail"] as? String)?.hasPrefix("crashed at ") == true })
        #expect(try digest(workspace.warehouse) == before)
    }

    @Test("verify fails a non-idempotent transform, naming the step where fingerprints diverged")
    func nonIdempotentTransform() throws {
        let workspace = try ExampleWorkspace()
        let noisy = try String(contentsOfFile: Paths.packageRoot + "/Fixtures/verify/noisy-transform.yml", encoding: .utf8)
        let config = try String(contentsOfFile: workspace.config, encoding: .utf8)
        try (config + noisy).write(toFile: workspace.config, atomically: true, encoding: .utf8)
        _ = try workspace.json(["backfill", "--table", "flights", "--from", "2013-01-05", "--to", "2013-01-05", "--quiet"])
        let report = try workspace.json(["verify", "--table", "noisy", "--partition", "2013-01-05"], status: 1)
        #expect(report["ok"] as? Bool == false)
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.first?["ok"] as? Bool == true)
        #expect(steps[1]["ok"] as? Bool == false)
        let detail = try #require(steps[1]["detail"] as? String)
        #expect(detail.hasPrefix("fingerprint diverged from the first load ("))
        #expect(detail.hasSuffix("): not idempotent"))
        let text = try workspace.run(["verify", "--table", "noisy", "--partition", "2013-01-05"])
        #expect(text.status == 1)
        #expect(text.stdout.hasSuffix("verify noisy 2013-01-05: FAILED at step 'load again' — see above (on a scratch copy; the warehouse is unchanged)\n"))
    }

    @Test("verify --in-place works in the warehouse itself and records its runs there")
    func inPlace() throws {
        let workspace = try ExampleWorkspace()
        let report = try workspace.json(["verify", "--table", "flights", "--partition", "2013-01-02", "--in-place"])
        #expect(report["ok"] as? Bool == true)
        let fingerprint = try workspace.json(["fingerprint", "--table", "flights", "--partition", "2013-01-02"])
        #expect(fingerprint["rows"] as? Int == 943)
        #expect(fingerprint["fingerprint"] as? String == (report["steps"] as? [[String: Any]])?.first?["fingerprint"] as? String)
    }
}
