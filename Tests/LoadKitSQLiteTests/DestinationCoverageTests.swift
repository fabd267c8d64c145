import LoadKitTesting
import Testing

/// The tests parameterized over ``TestDestination/available`` (CrashRecoveryTests,
/// ConcurrentLoadTests, BadInputTests) run their PostgreSQL cases only with a test server; without
/// one this test is skipped, and the report says why.
@Suite struct DestinationCoverageTests {
    @Test("The crash, concurrency and bad-input tests run their PostgreSQL cases",
          .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
    func postgresCasesRun() {
        #expect(TestDestination.available == [.sqlite, .postgres])
        #expect(CrashRecoveryTests.scenarios.contains { $0.destination == .postgres })
        #expect(ConcurrentLoadTests.Race.all.contains { $0.destination == .postgres })
    }
}
