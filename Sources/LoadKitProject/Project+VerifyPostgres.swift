import Foundation
import LoadKit
import LoadKitPostgres

extension Project {
    /// `verify` without `--in-place` on a PostgreSQL warehouse (SPEC.md §3, §7): the same five
    /// steps in a scratch schema of the same database, dropped afterwards, also when a step fails
    /// or throws; the warehouse's own tables (their rows, ledger and run records) are only read.
    ///
    /// The scratch schema, `_loadkit_verify_` and 16 random hex digits, is filled in one snapshot
    /// (``LoadKitPostgres/PostgresDestination/copyForVerify(table:partitionColumn:partition:upstream:into:)``):
    /// loadkit's tables with the ledger entries of the table and of its `depends_on` tables, the
    /// table as defined with the partition's rows and one sentinel row of every other partition
    /// (and load id), and, for a transform, its `depends_on` tables whole. The steps then run
    /// with the scratch schema as `schema:` (verify's run records, the loads' leases and locks all
    /// live there) and the warehouse's schema read after it, so a transform's query reads the
    /// copies first and, for a table not copied, the warehouse's own table. The crash steps'
    /// children get it as `--scratch-schema`. A verify killed before its cleanup leaves its
    /// scratch schema behind (`DROP SCHEMA _loadkit_verify_… CASCADE` removes it).
    func verifyInScratchSchema(_ table: LoadKitConfig.TableConfig, key: String?) throws -> VerifyReport {
        guard let source = try Warehouse(config: config).open() as? PostgresDestination else {
            throw UsageError("verify's scratch schema needs a PostgreSQL warehouse")
        }
        let scratch = PostgresDestination.verifyScratchName()
        let report: VerifyReport
        do {
            _ = try source.copyForVerify(table: table.name, partitionColumn: table.partition?.column, partition: key,
                                         upstream: table.sql == nil ? [] : table.dependsOn, into: scratch)
            let config = try Self.inScratchSchema(self.config, scratch)
            let loadID = table.write == .append ? Self.verifyLoadID(config, table, key) : nil
            let steps = try verifySteps(config: config, table: table, key: key, loadID: loadID)
            report = VerifyReport(table: table.name, partition: key, inPlace: false, ok: steps.allSatisfy(\.ok),
                                  loadID: loadID, steps: steps)
        } catch {
            // The first error wins; the schema is dropped whatever happened.
            _ = try? source.dropVerifyScratch(scratch)
            throw error
        }
        try source.dropVerifyScratch(scratch)
        return report
    }

    /// `config` with `scratch` as its schema and its own schema read after it.
    /// - Throws: ``UsageError`` for a name that is not a verify scratch schema's.
    static func inScratchSchema(_ config: LoadKitConfig, _ scratch: String) throws -> LoadKitConfig {
        guard scratch.hasPrefix(PostgresDestination.verifyScratchPrefix), Warehouse.isPostgres(config.warehouse),
              (try? Identifier.validate(scratch, what: "schema name")) != nil else {
            throw UsageError("--scratch-schema names verify's scratch schema (\(PostgresDestination.verifyScratchPrefix)…) "
                + "of a PostgreSQL warehouse, not '\(scratch)'")
        }
        var config = config
        config.readingAlso = [config.schema] + config.readingAlso
        config.schema = scratch
        return config
    }
}
