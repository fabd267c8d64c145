import Foundation
import LoadKit
import LoadKitPostgres
import LoadKitSQLite

/// What `verify` found: the value `loadkit verify --json` prints, `{"table", "partition",
/// "inPlace", "ok", "loadID" (append tables), "steps": [{"step", "rows", "fingerprint", "ok",
/// "exercised", "detail"}]}`.
public struct VerifyReport: Codable, Sendable, Equatable {
    /// One step and what its checks found.
    public struct Step: Codable, Sendable, Equatable {
        /// `load`, `load again`, `crash at after_staging, load again`, …
        public var step: String
        /// Rows measured after the step, in rows.
        public var rows: Int
        /// Their fingerprint (SPEC.md §4).
        public var fingerprint: String
        /// Whether every check passed.
        public var ok: Bool
        /// `false` for a crash step whose crash never fired.
        public var exercised: Bool
        /// What happened, or the checks that failed.
        public var detail: String
    }

    /// The table verified.
    public var table: String
    /// The partition key, `nil` for an unpartitioned table.
    public var partition: String?
    /// Whether it ran in the warehouse itself rather than a scratch copy.
    public var inPlace: Bool
    /// Whether every step passed.
    public var ok: Bool
    /// The load id whose rows are measured (append tables).
    public var loadID: String?
    /// The five steps, in order.
    public var steps: [Step]

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
            try c.encode(inPlace, forKey: .inPlace); try c.encode(ok, forKey: .ok); try c.encode(steps, forKey: .steps)
            try c.encodeIfPresent(loadID, forKey: .loadID)
        }
        enum CodingKeys: String, CodingKey { case table, partition, inPlace, ok, loadID, steps }
}

/// What one load of a verify step did: the runner's item status and message (a crash step's
/// child prints it as JSON).
package struct VerifyStepOutcome: Codable {
    /// `success` or `skipped`.
    package var status: String
    /// A skip's reason (`already loaded with the same content`, `the source has no rows`).
    package var message: String?

    /// `loaded`, or the skip's reason.
    package var summary: String { status == AttemptStatus.success.rawValue ? "loaded" : message ?? status }
}

extension Project {
    /// Proves that a load of `table` (one partition) can be run again safely, as
    /// `loadkit verify`: load; load again; then for each failpoint (`after_staging`,
    /// `before_commit`, `after_commit`) a child process runs the load and dies there (exit 137,
    /// like kill -9), and the load runs again. After each step: the fingerprint equals the
    /// first step's, the ledger agrees with the data, no staging table is left; after the last,
    /// nothing else in the table changed.
    ///
    /// For an append table the rows measured are those of verify's own load id, and each
    /// crash step first removes that load so the crash hits a first append. Without `inPlace`
    /// everything runs on a scratch copy and the warehouse is left byte for byte as it was.
    ///
    /// The scratch copy holds what the loads touch, so verify's cost follows the partition,
    /// not the table (``LoadKitSQLite/SQLiteDestination/copyForVerify(table:partitionColumn:partition:to:)``):
    /// the warehouse's schema (no rows of other tables), the partition's rows, the table's ledger
    /// entries, and one sentinel row of every other partition (and, in an append table, of every other
    /// load id). "Nothing else in the table changed" is then checked on the scratch: its rows
    /// outside the partition (the sentinels; for an append also the other loads' rows of the
    /// partition) must have the same fingerprint after the last step as before the first, so a
    /// load that deletes or rewrites another partition, or writes rows outside its own, fails
    /// it. A transform's query may read any table, so a transform is verified on a copy of the
    /// whole warehouse (SQLite's backup API); there, and with `inPlace`, the check covers every
    /// row of the table. On a PostgreSQL warehouse the scratch copy is a schema of the same
    /// database, dropped afterwards (``verifyInScratchSchema(_:key:)``).
    ///
    /// The crash steps run the `loadkit` command (``crashStepExecutable``, else `loadkit` on
    /// `PATH`) as the child.
    /// - Returns: the report; `ok` is `false` when a step diverged or a check failed.
    /// - Throws: ``LoadFailure`` when a load failed, ``UsageError`` for a missing partition or
    ///   no `loadkit` to run the crash steps.
    public func verify(_ table: String, partition: String? = nil, inPlace: Bool = false) throws -> VerifyReport {
        let tableConfig = try config.requireTable(table)
        let key = try tableConfig.partitionKey(partition, required: true)
        var config = self.config
        var scratch: TemporaryFolder?
        if !inPlace, try Warehouse(config: config).isPostgres {
            return try verifyInScratchSchema(tableConfig, key: key)
        }
        if !inPlace {
            let folder = try TemporaryFolder()
            scratch = folder
            let copy = folder.path + "/warehouse.db"
            if let source = try Warehouse(config: config).openForReading() as? SQLiteDestination {
                if tableConfig.sql != nil {
                    // A transform's query may read any table: the whole warehouse.
                    // A backup into a WAL database needs the source's page size.
                    let pageSize = try source.connection.scalar("PRAGMA page_size")
                    try source.connection.backup(to: try SQLiteConnection(path: copy,
                        pageSize: { if case .integer(let size) = pageSize { Int(size) } else { nil } }()))
                } else {
                    // What the loads touch: the schema, the partition, a sentinel row of every
                    // other partition (and load id), the table's ledger entries.
                    _ = try source.copyForVerify(table: table, partitionColumn: tableConfig.partition?.column,
                                                 partition: key, to: copy)
                }
            }
            config.warehouse = copy
        }
        let loadID = tableConfig.write == .append ? Self.verifyLoadID(config, tableConfig, key) : nil
        let steps = try verifySteps(config: config, table: tableConfig, key: key, loadID: loadID)
        withExtendedLifetime(scratch) {}
        return VerifyReport(table: table, partition: key, inPlace: inPlace, ok: steps.allSatisfy(\.ok),
                            loadID: loadID, steps: steps)
    }

    /// One load of a verify step, in a crash step's child (`loadkit verify --step-of RUN_ID`).
    /// - Parameter scratchSchema: the PostgreSQL scratch schema the parent verifies in
    ///   (`--scratch-schema`), which then holds the targets and `_loadkit_` tables, the config's
    ///   `schema:` being read after it.
    package func verifyStep(_ table: String, partition: String?, parent: String,
                            scratchSchema: String? = nil) throws -> VerifyStepOutcome {
        let tableConfig = try config.requireTable(table)
        var config = self.config
        if let scratchSchema { config = try Self.inScratchSchema(config, scratchSchema) }
        return try verifyLoad(config, tableConfig, try tableConfig.partitionKey(partition, required: true), parent: parent)
    }

    /// `loadkit` on `PATH`, for verify's crash steps.
    private static func loadkitOnPath() -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/loadkit"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func verifyNow() -> String {
        CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
    }

    /// Runs the five steps in `config.warehouse` (the scratch copy or the warehouse), recording
    /// verify's own run there.
    func verifySteps(config: LoadKitConfig, table: LoadKitConfig.TableConfig, key: String?,
                     loadID: String?) throws -> [VerifyReport.Step] {
        let column = table.partition?.column
        let log = try Warehouse(config: config).open()
        let runID = RunID.make()
        try log.startRun(RunRecord(runID: runID, command: "verify", arguments: arguments(["verify", "--table", table.name]
                                       + (key.map { ["--partition", $0] } ?? [])),
                                   startedAt: Self.verifyNow()))
        var status = RunStatus.failed
        defer { try? log.finishRun(runID, status: status, finishedAt: Self.verifyNow()) }

        var steps: [VerifyReport.Step] = []
        var reference: LoadKit.Fingerprint?
        // Before anything runs: the rest of the table (other partitions; for an append also the
        // rows of other loads), and, for an append, the other loads' rows in this partition.
        var rest = LoadKit.Fingerprint()
        var neighbours = LoadKit.Fingerprint()

        /// What verify measures: the partition (replace) or its own load's rows (append).
        func measure(_ destination: any WarehouseDestination) throws -> (part: LoadKit.Fingerprint, mine: LoadKit.Fingerprint) {
            let part = try destination.fingerprint(table: table.name, partitionColumn: column, partition: key)
            guard let loadID else { return (part, part) }
            return (part, try destination.fingerprint(table: table.name, loadID: loadID, partitionColumn: column,
                                                      partition: key))
        }

        /// Fingerprints and checks after a step; with `scope`, also the rest of the table (of
        /// the scratch: the sentinels, or every other row of a whole copy or in place), only
        /// after the last step: any earlier change would still show there.
        func observe(_ name: String, note: String, exercised: Bool = true, scope: Bool = false) throws {
            // Ctrl-C or SIGTERM (``cancel()``): stop after the step that was running; verify's
            // caller then drops its scratch copy.
            if isStopping {
                throw LoadKitError(.cancelled, "verify was interrupted during its \(name) step and stopped there; "
                    + "its scratch copy is dropped (with --in-place, what its steps loaded stays loaded)")
            }
            let destination = try Warehouse(config: config).open()
            let (part, mine) = try measure(destination)
            var problems: [String] = []
            if let loadID {
                let entry = try destination.ledgerEntry(table: table.name, loadID: loadID)
                let recorded = entry?.fingerprint ?? LoadKit.Fingerprint()
                // An entry of an older fingerprint version is compared in its version.
                let rows = recorded.version == mine.version || recorded.isEmpty ? mine
                    : try destination.fingerprint(table: table.name, loadID: loadID, partitionColumn: column,
                                                  partition: key, version: recorded.version)
                if recorded != rows {
                    problems.append("the ledger entry of load \(loadID) says \(recorded), its rows are \(rows)")
                }
                if let entry, entry.partitionKey != key {
                    problems.append("the ledger entry of load \(loadID) is for partition \(entry.partitionKey ?? "NULL")")
                }
                let others = part.subtracting(mine)
                if others != neighbours {
                    problems.append("rows of other loads in this partition changed (\(neighbours.hex) → \(others.hex))")
                }
            } else {
                let entries = try destination.ledger(table: table.name).filter { $0.partitionKey == key }
                    .map(\.fingerprint)
                let versions = Set(entries.filter { !$0.isEmpty }.map(\.version))
                if versions.count > 1 {
                    problems.append("the ledger entries of this partition mix fingerprint versions "
                        + versions.map(\.rawValue).sorted().joined(separator: " and "))
                } else {
                    // Compared in the entries' version (an entry loadkit wrote before v2 is v1).
                    let version = versions.first ?? part.version
                    let data = version == part.version ? part
                        : try destination.fingerprint(table: table.name, partitionColumn: column, partition: key,
                                                      version: version)
                    let ledger = entries.reduce(LoadKit.Fingerprint(version: version)) { $0.combined(with: $1) }
                    if ledger != data { problems.append("the ledger says \(ledger), the data is \(data)") }
                }
            }
            if !(try destination.stagingTables()).isEmpty { problems.append("a staging table was left behind") }
            if scope {
                let whole = try destination.fingerprint(table: table.name, partitionColumn: column, partition: nil)
                let now = whole.subtracting(mine)
                if now != rest {
                    problems.append((loadID == nil ? "other partitions changed" : "rows of other loads or partitions changed")
                        + " (\(rest.hex) → \(now.hex))")
                }
            }
            if let reference, reference != mine {
                problems.append("fingerprint diverged from the first load (\(reference.hex) → \(mine.hex)): not idempotent")
            }
            reference = reference ?? mine
            steps.append(VerifyReport.Step(step: name, rows: mine.rows, fingerprint: mine.hex, ok: problems.isEmpty,
                              exercised: exercised, detail: problems.isEmpty ? note : problems.joined(separator: "; ")))
        }

        if try !log.existingColumns(of: table.name).isEmpty {
            let (part, mine) = try measure(log)
            let whole = key == nil ? part : try log.fingerprint(table: table.name, partitionColumn: column, partition: nil)
            rest = whole.subtracting(mine)
            neighbours = part.subtracting(mine)
        }
        let first = try verifyLoad(config, table, key, parent: runID)
        try observe("load", note: first.summary)
        let again = try verifyLoad(config, table, key, parent: runID)
        try observe("load again", note: loadID == nil ? "same fingerprint"
            : "same fingerprint; \(again.summary): nothing appended twice")
        for point in FailPoint.allCases {
            if let loadID {
                try log.removeLoad(table: table.name, loadID: loadID, runID: runID, lockTimeout: config.defaults.lockTimeout)
            }
            let child = try crashChild(config: config, table: table.name, key: key, point: point, parent: runID)
            // The child died with its run `running`: mark it now, not at the next run's sweep.
            for run in try log.runs(limit: 100, failedOnly: false)
            where run.parentRunID == runID && run.status == .running {
                try log.finishRun(run.runID, status: .interrupted, finishedAt: Self.verifyNow())
            }
            let reload = try verifyLoad(config, table, key, parent: runID)
            let note: String
            switch child {
            case .crashed:
                note = "crashed at \(point.rawValue) as injected"
                    + (loadID == nil ? "" : " in a first append")
                    + "; same fingerprint after loading again" + (loadID == nil ? "" : " (\(reload.summary))")
            case .ended(let outcome):
                note = "not exercised: the load ended (\(outcome.summary)) before reaching \(point.rawValue)"
            case .failed(let status, let message):
                note = "not exercised: the load failed (exit \(status)) before reaching \(point.rawValue): \(message)"
            }
            let exercised = if case .crashed = child { true } else { false }
            try observe("crash at \(point.rawValue), load again", note: note, exercised: exercised,
                        scope: point == FailPoint.allCases.last)
        }
        status = steps.allSatisfy(\.ok) ? .success : .failed
        return steps
    }

    /// One load of `table` (and partition `key`) as the runner runs it, forced (verify is about
    /// running again), recorded as a run with command `verify` and parent `parent`.
    /// - Throws: ``LoadFailure`` with the load's error when it failed (already recorded).
    private func verifyLoad(_ config: LoadKitConfig, _ table: LoadKitConfig.TableConfig, _ key: String?,
                            parent: String) throws -> VerifyStepOutcome {
        let pipeline = try Pipeline(config: config)
        let runner = try pipeline.runner(concurrency: 1, force: true)
        let partitions = try key.map { [try pipeline.scheme(of: table.name)!.partition(forKey: $0)] } ?? []
        let summary = try runner.run(RunPlan(graph: pipeline.graph, tasks: [table.name], partitions: partitions,
                                             upstream: false),
                                     parentRunID: parent, command: "verify",
                                     arguments: arguments(["verify", "--table", table.name] + (key.map { ["--partition", $0] } ?? [])))
        guard summary.status == .success, let item = summary.items.first else {
            throw LoadFailure(message: summary.items.first { $0.status == .failed }?.message
                ?? "the load did not finish (\(summary.status.rawValue))", runID: summary.runID)
        }
        return VerifyStepOutcome(status: item.status.rawValue, message: item.message)
    }

    /// The load id verify's loads use (SPEC.md §5): table + partition, else for an
    /// unpartitioned append from a file, table + the source's path relative to the config's
    /// folder (as ``Pipeline`` names it), else table.
    package static func verifyLoadID(_ config: LoadKitConfig, _ table: LoadKitConfig.TableConfig, _ key: String?) -> String {
        if let key { return LoadID.make(table: table.name, mode: table.write, scope: .partition(key)) }
        if table.sql == nil, table.write == .append, let source = table.source {
            let base = URL(fileURLWithPath: config.file).deletingLastPathComponent().standardized.path
            let template = SourceTemplate(path: source.path, format: source.format, options: source.options,
                                          baseDirectory: base)
            if case .file(_, _, _, let identity, _) = template.input(for: nil).input {
                return LoadID.make(table: table.name, mode: .append, scope: .input(identity))
            }
        }
        return LoadID.make(table: table.name, mode: table.write, scope: .table)
    }

    /// How a crash step's child ended.
    private enum ChildEnd {
        /// Exit 137 at the failpoint, as injected.
        case crashed
        /// The load finished without reaching the failpoint.
        case ended(VerifyStepOutcome)
        /// The load failed (exit status, error message).
        case failed(Int32, String)
    }

    /// Runs one load in a child process with `LOADKIT_FAILPOINT=<point>`, as a step of run
    /// `parent`.
    private func crashChild(config: LoadKitConfig, table: String, key: String?, point: FailPoint,
                            parent: String) throws -> ChildEnd {
        guard let executable = crashStepExecutable ?? Self.loadkitOnPath() else {
            throw UsageError("verify's crash steps run the `loadkit` command in a child process and none was found "
                + "on PATH; install it or set Project.crashStepExecutable to its path")
        }
        var arguments = ["verify", "--table", table]
        if let key { arguments += ["--partition", key] }
        arguments += ["--step-of", parent, "--crash-at", point.rawValue,
                      "--quiet", "--json", "--config", config.file, "--warehouse",
                      Warehouse.splittingPassword(config.warehouse).uri]
        if !config.readingAlso.isEmpty, config.schema.hasPrefix(PostgresDestination.verifyScratchPrefix) {
            arguments += ["--scratch-schema", config.schema]
        }
        let output = try TemporaryFolder()
        let stdout = output.path + "/stdout", stderr = output.path + "/stderr"
        FileManager.default.createFile(atPath: stdout, contents: nil)
        FileManager.default.createFile(atPath: stderr, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LOADKIT_FAILPOINT"] = point.rawValue
        environment["LOADKIT_FAILPOINT_TIMES"] = nil
        // Never on the child's command line, which any user can read.
        if let password = Warehouse.splittingPassword(config.warehouse).password { environment["PGPASSWORD"] = password }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        process.waitUntilExit()
        let status = process.terminationStatus
        if status == 137 { return .crashed }
        if status == 0, let data = FileManager.default.contents(atPath: stdout),
           let outcome = try? JSONDecoder().decode(VerifyStepOutcome.self, from: data) {
            return .ended(outcome)
        }
        let message = (try? String(contentsOfFile: stderr, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "loadkit: error: ", with: "") ?? ""
        return .failed(status, message.isEmpty ? "no message" : message)
    }

}

/// A temporary folder removed when released.
final class TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("loadkit-verify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
