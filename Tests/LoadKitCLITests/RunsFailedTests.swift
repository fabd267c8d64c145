import Foundation
import LoadKitTesting
import Testing

@Suite struct RunsFailedTests {
    @Test("runs --failed lists a killed (interrupted) run too, as rerun --failed runs it again")
    func interruptedListed() throws {
        let workspace = try ExampleWorkspace()
        let killed = try ChildProcess.run(Paths.binary, ["load", "--table", "airlines", "--config", workspace.config],
                                          environment: ["LOADKIT_FAILPOINT": "before_commit"], currentDirectory: workspace.root)
        #expect(killed.status == 137)
        let runs = try workspace.json(["runs", "--failed"])["runs"] as? [[String: Any]] ?? []
        #expect(runs.count == 1 && runs.first?["status"] as? String == "interrupted", "\(runs)")
    }
}
