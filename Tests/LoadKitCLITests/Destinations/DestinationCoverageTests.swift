import LoadKitTesting
import Testing

/// The tests parameterized over ``TestDestination/available`` here (InterruptedLoadTests,
/// IdentifierLimitTests) run their PostgreSQL cases only with a test server; without one this
/// test is skipped, and the report says why.
@Suite struct DestinationCoverageTests {
    @Test("The interrupt and identifier tests run their PostgreSQL cases",
          .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
    func postgresCasesRun() {
        #expect(InterruptedLoadTests.Case.all.contains { $0.destination == .postgres })
    }
}
