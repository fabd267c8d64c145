import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Every writer × granularity through the real `loadkit` binary, on every destination (SQLite,
/// and PostgreSQL when a test server is configured): a load, a rerun, a crash at each failpoint
/// (a real `_exit(137)` in a child process) and the rerun after it all end in the same state,
/// with a ledger that describes the data and no staging table left. The replace writers run the
/// direct strategy (every row written once: SQLite in the load's one transaction, PostgreSQL by
/// a partition swap), and again forced to stage (``WriterScenario/stagedReplace``).
@Suite struct CrashRecoveryTests {
    /// Every scenario on every destination.
    static let scenarios = WriterScenario.onEveryDestination(WriterScenario.all + WriterScenario.stagedReplace)

    static let failpoints: [FailPoint] = [.afterStaging, .beforeCommit, .afterCommit]

    /// The state a load must reach: the exact rows and ledger of version 2 of the source.
    private func expectLoaded(_ scenario: WriterScenario, _ project: CLIProject,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let table = try scenario.table
        let expected = fingerprint(of: scenario.expectedRows(version: 2))
        #expect(try project.store.storedFingerprint(table) == expected, sourceLocation: sourceLocation)
        #expect(try project.store.open().fingerprint(table: table, partition: nil) == expected,
                sourceLocation: sourceLocation)
        #expect(try project.store.ledgerRows(table: "events") == scenario.expectedLedger(version: 2, project: project),
                sourceLocation: sourceLocation)
        try project.store.expectLedgerMatchesData(table, sourceLocation: sourceLocation)
        #expect(try project.store.stagingLeftovers() == [], sourceLocation: sourceLocation)
    }

    @Test("A load and its rerun end with the same fingerprint and ledger", arguments: Self.scenarios)
    func loadThenRerun(_ scenario: WriterScenario) throws {
        let project = try scenario.makeProject(version: 2)
        let first = try project.load(scenario.arguments, environment: scenario.environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == scenario.loadedSummary(version: 2))
        try expectLoaded(scenario, project)
        let table = try scenario.table
        let once = try project.store.open().fingerprint(table: table, partition: nil)

        let rerun = try project.load(scenario.arguments, environment: scenario.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout == scenario.rerunSummary)
        try expectLoaded(scenario, project)
        #expect(try project.store.open().fingerprint(table: table, partition: nil) == once)
        if let p = scenario.granularity.map({ _ in scenario.partitions.p.key }) {
            let partition = try project.store.open().fingerprint(table: table, partition: p)
            let expected = scenario.expectedRows(version: 2).filter { $0[3] == .text(p) }
            #expect(partition == fingerprint(of: expected))
        }
    }

    @Test("A crash at a failpoint leaves the old or the new state; the rerun reaches the new one",
          arguments: Self.scenarios, Self.failpoints)
    func crashThenRerun(_ scenario: WriterScenario, at point: FailPoint) throws {
        let project = try scenario.makeProject(version: 1)
        let table = try scenario.table
        let v1 = try project.load(scenario.arguments, environment: scenario.environment)
        try #require(v1.status == 0, "\(v1.stderr)")
        let before = try project.store.storedFingerprint(table)
        #expect(before == fingerprint(of: scenario.expectedRows(version: 1)))
        let ledgerBefore = try project.store.rawLedger(table: "events")

        try scenario.writeSource(project, version: 2)
        let crashed = try project.load(scenario.arguments, failpoint: point.rawValue, environment: scenario.environment)
        #expect(crashed.status == 137 && !crashed.wasSignalled, "exit \(crashed.status): \(crashed.stderr)")
        #expect(crashed.stdout == "")
        switch point {
        case .afterStaging, .beforeCommit:
            #expect(try project.store.storedFingerprint(table) == before)
            #expect(try project.store.rawLedger(table: "events") == ledgerBefore)
        case .afterCommit:
            #expect(try project.store.storedFingerprint(table) == fingerprint(of: scenario.expectedRows(version: 2)))
            #expect(try project.store.ledgerRows(table: "events") == scenario.expectedLedger(version: 2, project: project))
        }
        try project.store.expectLedgerMatchesData(table)

        let rerun = try project.load(scenario.arguments, environment: scenario.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout == (point == .afterCommit ? scenario.rerunSummary : scenario.loadedSummary(version: 2)))
        try expectLoaded(scenario, project)
    }

    @Test("An injected transient error before commit exits 1, names the point and changes nothing",
          arguments: Self.scenarios)
    func injectedError(_ scenario: WriterScenario) throws {
        let project = try scenario.makeProject(version: 1)
        let table = try scenario.table
        let v1 = try project.load(scenario.arguments, environment: scenario.environment)
        try #require(v1.status == 0, "\(v1.stderr)")
        let before = try project.store.storedFingerprint(table)
        let ledgerBefore = try project.store.rawLedger(table: "events")

        try scenario.writeSource(project, version: 2)
        let failed = try project.load(scenario.arguments, failpoint: "before_commit:error", environment: scenario.environment)
        #expect(failed.status == 1 && !failed.wasSignalled)
        #expect(failed.stderr.contains("injected transient failure at before_commit"), "\(failed.stderr)")
        #expect(failed.stdout == "")
        #expect(try project.store.storedFingerprint(table) == before)
        #expect(try project.store.rawLedger(table: "events") == ledgerBefore)
        #expect(try project.store.stagingLeftovers() == [])
        try project.store.expectLedgerMatchesData(table)
    }

    @Test("An injected transient error that acts once is retried, and the retry loads the new state",
          arguments: Self.scenarios)
    func injectedErrorThenRetry(_ scenario: WriterScenario) throws {
        var scenario = scenario
        scenario.attempts = 2
        let project = try scenario.makeProject(version: 1)
        let v1 = try project.load(scenario.arguments, environment: scenario.environment)
        try #require(v1.status == 0, "\(v1.stderr)")
        try scenario.writeSource(project, version: 2)
        let retried = try project.load(scenario.arguments, failpoint: "before_commit:error", times: 1,
                                         environment: scenario.environment)
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(retried.stdout == scenario.loadedSummary(version: 2))
        try expectLoaded(scenario, project)
    }
}
