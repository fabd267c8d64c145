import Foundation
import LoadKitProject
import LoadKitTesting
import Testing

/// The same backfill of `Examples/flights/loadkit.yml` three ways — through `Project` in this
/// process, through the `loadkit` command, and through the `ProjectPipeline` example — each into
/// its own temporary warehouse, must leave the same tables.
@Suite struct ProjectPipelineTests {
    static let from = "2013-01-01"
    static let to = "2013-01-03"
    static let tables = ["airlines", "flights", "daily_delays"]

    @Test("A backfill through Project and through the loadkit command leave equal fingerprints",
          .enabled(if: Paths.product("loadkit") != nil,
                   "the loadkit binary is not built next to the tests; run `swift build --build-tests` first"))
    func projectMatchesCommand() throws {
        let library = try TemporaryWarehouse()
        let project = try library.project(configPath: Paths.exampleConfig)
        let summary = try project.backfill("daily_delays", from: Self.from, to: Self.to)
        #expect(summary.status == .success, "\(summary.items.compactMap(\.message))")
        // airlines once, then flights and daily_delays for each of the three days.
        #expect(summary.count(.success) == 7)

        let command = try TemporaryWarehouse()
        let result = try ChildProcess.run(try #require(Paths.product("loadkit")),
                                          ["backfill", "--quiet", "--config", Paths.exampleConfig,
                                           "--warehouse", command.path, "--table", "daily_delays",
                                           "--from", Self.from, "--to", Self.to])
        #expect(result.status == 0, "\(result.stderr)")
        let byCommand = try command.project(configPath: Paths.exampleConfig)

        for table in Self.tables {
            let expected = try project.fingerprint(table)
            #expect(expected.rows > 0, "\(table) is empty")
            #expect(try byCommand.fingerprint(table) == expected, "\(table)")
        }
        for day in ["2013-01-01", "2013-01-02", "2013-01-03"] {
            #expect(try byCommand.fingerprint("flights", partition: day) == project.fingerprint("flights", partition: day))
        }
        // The ledgers agree too: the same loads, rows and fingerprints (run ids and times aside).
        for table in Self.tables {
            #expect(try TableSnapshot.take(table, of: byCommand).ledger == TableSnapshot.take(table, of: project).ledger,
                    "\(table)")
        }
    }

    @Test("The ProjectPipeline example prints the fingerprints Project computes",
          .enabled(if: Paths.product("ProjectPipeline") != nil,
                   "the ProjectPipeline example is not built next to the tests; run `swift build --build-tests` first"))
    func example() throws {
        let warehouse = try TemporaryWarehouse()
        let result = try ChildProcess.run(try #require(Paths.product("ProjectPipeline")),
                                          [warehouse.path, Self.from, Self.to])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("backfill daily_delays 2013-01-01..2013-01-03: success, 7 loaded, 0 skipped, 0 failed"))
        let project = try warehouse.project(configPath: Paths.exampleConfig)
        for table in Self.tables {
            let fingerprint = try project.fingerprint(table)
            #expect(result.stdout.contains("\n\(table): \(fingerprint.rows) rows, fingerprint \(fingerprint.fingerprint)\n"))
        }
    }
}
