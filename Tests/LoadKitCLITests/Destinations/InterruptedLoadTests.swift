import Foundation
import LoadKitTesting
import Testing

/// SIGINT and SIGTERM stop a running load at once on every destination: its open transaction
/// rolls back, the run and the attempt are recorded `interrupted`, the command exits 1.
@Suite struct InterruptedLoadTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var destination: TestDestination
        var signal: Int32
        var testDescription: String { "\(signal == SIGINT ? "SIGINT" : "SIGTERM") on \(destination.testDescription)" }
        static let all = TestDestination.available.flatMap { d in [SIGINT, SIGTERM].map { Case(destination: d, signal: $0) } }
    }

    @Test("A signal while a load holds its open commit (before_commit:sleep=60s): exit 1 within seconds, nothing committed, run and attempt interrupted, nothing left running; a rerun loads",
          arguments: Case.all)
    func signalDuringCommit(_ c: Case) throws {
        let project = try DestinationProject(c.destination)
        try project.day("2024-01-05", rows: 3)
        let load = ["load", "--table", "events", "--partition", "2024-01-05"]
        _ = try project.json(load)
        let before = try project.fingerprint()
        try project.day("2024-01-05", rows: 4, offset: 9)

        let child = try project.start(load, environment: ["LOADKIT_FAILPOINT": "before_commit:sleep=60s"])
        var ended: ChildProcess.Result?
        defer { if ended == nil { child.signal(SIGKILL); _ = child.wait() } }
        // The attempt is recorded `running` before its load starts; the load reaches its commit
        // in well under a second after that.
        let deadline = ContinuousClock.now + .seconds(30)
        while try project.warehouse.scalar("SELECT count(*) FROM _loadkit_attempts WHERE status = 'running'") != "1" {
            try #require(ContinuousClock.now < deadline, "the load never started")
            Thread.sleep(forTimeInterval: 0.02)
        }
        Thread.sleep(forTimeInterval: 1)
        let clock = ContinuousClock()
        let signalled = clock.now
        child.signal(c.signal)
        let stopped = DestinationProject.wait(child, killingAfter: .seconds(20))
        ended = stopped
        #expect(clock.now - signalled < .seconds(5), "exited \(clock.now - signalled) after the signal")
        #expect(stopped.status == 1 && !stopped.wasSignalled, "\(stopped)")
        #expect(stopped.stderr.contains("loadkit: interrupted: stopping the running loads"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("table events, partition 2024-01-05: interrupted (SIGINT or SIGTERM) while it ran"),
                "\(stopped.stderr)")
        #expect(try project.fingerprint() == before)
        #expect(try project.warehouse.query("SELECT status FROM _loadkit_runs").map { $0[0] ?? "" }.sorted()
                == ["interrupted", "success"])
        #expect(try project.warehouse.query("SELECT status FROM _loadkit_attempts WHERE status <> 'success'") == [["interrupted"]])
        let status = try project.json(["status", "--table", "events"])
        #expect(counts(status)?["failed"] == 1, "the interrupted partition shows failed (its earlier rows kept): \(status)")

        _ = try project.json(["rerun", "--failed", "--quiet"])
        #expect(try project.fingerprint() == project.cleanFingerprint([load]))
    }
}
