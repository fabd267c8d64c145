import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject
import LoadKitSQLite

extension LoadKitCommand {
    /// `loadkit verify`: prove that a load can be run again safely.
    ///
    /// Five steps, each followed by the same checks: `load`; `load again`; then for each
    /// failpoint (`after_staging`, `before_commit`, `after_commit`) a child process runs the load
    /// with `LOADKIT_FAILPOINT=<point>` and dies there (exit 137, like `kill -9`), and the load
    /// runs again. The checks after each step:
    /// - replace table: the partition's fingerprint equals the first step's, and the ledger
    ///   entries of the partition add up to it;
    /// - append table: the rows verify's own load appends (those whose `_loadkit_load_id` is the
    ///   load id of table + partition, or table + source for an unpartitioned table) have the
    ///   first step's fingerprint and match that load id's ledger entry; the other rows of the
    ///   partition (appended by other loads, e.g. `load --input`) are unchanged;
    /// - no staging table is left; after the last step, nothing else in the table changed.
    ///
    /// For an append table each crash step first removes verify's load (its rows and ledger
    /// entry, ``LoadKitSQLite/SQLiteDestination/removeLoad(table:loadID:runID:lockTimeout:)``),
    /// so the crash hits a first append, the moment a crash could append twice; otherwise the
    /// rerun would stop at "already loaded" before `before_commit` and the crash would never
    /// fire. A crash step whose child ends before its failpoint (nothing to load, a query with no
    /// rows, a failure) says "not exercised: …", is counted as not exercised, and the summary
    /// says how many of the five steps were.
    ///
    /// Every load is recorded in `_loadkit_runs` with command `verify`: one run for verify
    /// itself, and one per step, each with `parent_run_id` = verify's run; a crashed child's run
    /// is marked `interrupted` at once. Without `--in-place` all this happens in a scratch copy
    /// (SQLite's backup API) deleted afterwards, and the warehouse is left byte for byte as it
    /// was (SPEC.md §3).
    ///
    /// A crash step's child is `loadkit verify … --step-of RUN_ID --crash-at POINT` (hidden
    /// options): it runs one load as a step of run `RUN_ID` and prints `{"status", "message"}`.
    ///
    /// ```
    /// loadkit verify --table flights --partition 2013-01-05
    /// ```
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove a load is idempotent: load, load again, crash, load again.",
            usage: """
                loadkit verify --table <table> [--partition <key>] [--in-place]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Steps: load, then fingerprint; load again, fingerprint; then for each \
                failpoint (after_staging, before_commit, after_commit) a child process runs \
                the load and is killed there (like kill -9), and the load runs again, \
                fingerprint. Every step also checks that the ledger agrees with the data and \
                that no staging table is left; the last also that nothing else in the table \
                changed since before the first step. All fingerprints equal and every check \
                passing: exit 0.

                Append tables: rows and fingerprints are those of verify's own load (the \
                load id of table + partition), checked against that load id's ledger entry; \
                rows that other loads appended to the partition (e.g. `load --input FILE`) \
                must stay unchanged. Before each crash step verify removes its own load's \
                rows and ledger entry, so the crash hits a first append; after a crash at \
                after_commit, loading again stops at "already loaded": nothing is appended \
                twice.

                A crash step whose load ends before its failpoint (e.g. the source has no \
                rows) reads "not exercised: the load ended (...) before reaching <point>", \
                and the last line says "idempotent — N of 5 steps exercised".

                Runs on a scratch copy of the warehouse (SQLite's backup API), leaving the \
                warehouse byte for byte as it was, unless --in-place. Every load verify runs \
                is recorded with command `verify` and verify's own run as its parent run; a \
                crash step's run is `interrupted`.

                Examples:
                  loadkit verify --table flights --partition 2013-01-05
                  loadkit verify --table airlines --json

                --json prints {"table", "partition", "inPlace", "ok", "loadID" (append \
                tables), "steps": [{"step", "rows", "fingerprint", "ok", "exercised", \
                "detail"}]}.

                Exit codes: 0 idempotent, 1 a step diverged or a check failed, 64 a usage or \
                config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("The partition key (partitioned tables).", valueName: "key"))
        var partition: String?

        @Flag(name: .long, help: "Verify in the warehouse, not on a scratch copy.")
        var inPlace = false

        /// Child mode: run one load as a step of this verify run (set by verify for its crash steps).
        @Option(name: .long, help: .hidden)
        var stepOf: String?

        /// Child mode: the failpoint armed in the child's environment, for the run record.
        @Option(name: .long, help: .hidden)
        var crashAt: String?

        struct Step: Encodable {
            var step: String
            var rows: Int
            var fingerprint: String
            var ok: Bool
            /// `false` for a crash step whose crash never fired.
            var exercised: Bool
            var detail: String
        }

        struct Report: Encodable {
            var table: String
            var partition: String?
            var inPlace: Bool
            var ok: Bool
            /// The load id whose rows are measured (append tables).
            var loadID: String?
            var steps: [Step]

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
                try c.encode(inPlace, forKey: .inPlace); try c.encode(ok, forKey: .ok); try c.encode(steps, forKey: .steps)
                try c.encodeIfPresent(loadID, forKey: .loadID)
            }
            enum CodingKeys: String, CodingKey { case table, partition, inPlace, ok, loadID, steps }
        }

        /// What one load of a step did: the runner's item status and message.
        struct Outcome: Codable {
            /// `success` or `skipped`.
            var status: String
            /// A skip's reason (`already loaded with the same content`, `the source has no rows`).
            var message: String?

            /// `loaded`, or the skip's reason.
            var summary: String { status == AttemptStatus.success.rawValue ? "loaded" : message ?? status }
        }

        func validate() throws {
            if let crashAt, FailPoint(rawValue: crashAt) == nil {
                throw ValidationError("--crash-at: unknown failpoint '\(crashAt)'")
            }
        }

        func run() throws {
            do {
                var config = try global.loadConfig()
                let tableConfig = try config.requireTable(table)
                let key = try tableConfig.partitionKey(partition, required: true)
                if let stepOf {
                    let outcome = try Self.load(config, tableConfig, key, parent: stepOf)
                    FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(outcome))
                    print()
                    return
                }
                var scratch: TemporaryFolder?
                if !inPlace {
                    let folder = try TemporaryFolder()
                    scratch = folder
                    let copy = folder.path + "/warehouse.db"
                    if FileManager.default.fileExists(atPath: config.warehouse) {
                        let source = try SQLiteDestination(readingOnly: config.warehouse)
                        try source.connection.backup(to: try SQLiteConnection(path: copy))
                    }
                    config.warehouse = copy
                }
                let loadID = tableConfig.write == .append ? Self.loadID(config, tableConfig, key) : nil
                let steps = try verify(config: config, table: tableConfig, key: key, loadID: loadID)
                _ = scratch
                let report = Report(table: table, partition: key, inPlace: inPlace, ok: steps.allSatisfy(\.ok),
                                    loadID: loadID, steps: steps)
                if global.json {
                    FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(report))
                    print()
                } else {
                    print(Self.text(report))
                }
                if !report.ok { throw ExitCode(ExitStatus.failure) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }

        /// Runs the five steps in `config.warehouse` (the scratch copy or the warehouse), recording
        /// verify's own run there.
        private func verify(config: LoadKitConfig, table: LoadKitConfig.TableConfig, key: String?,
                            loadID: String?) throws -> [Step] {
            let column = table.partition?.column
            let log = try SQLiteDestination(path: config.warehouse, busyTimeout: config.defaults.lockTimeout)
            let runID = RunID.make()
            try log.startRun(RunRecord(runID: runID, command: "verify", arguments: Array(CommandLine.arguments.dropFirst()),
                                       startedAt: Self.now()))
            var status = RunStatus.failed
            defer { try? log.finishRun(runID, status: status, finishedAt: Self.now()) }

            var steps: [Step] = []
            var reference: LoadKit.Fingerprint?
            // Before anything runs: the rest of the table (other partitions; for an append also the
            // rows of other loads), and, for an append, the other loads' rows in this partition.
            var rest = LoadKit.Fingerprint()
            var neighbours = LoadKit.Fingerprint()

            /// What verify measures: the partition (replace) or its own load's rows (append).
            func measure(_ destination: SQLiteDestination) throws -> (part: LoadKit.Fingerprint, mine: LoadKit.Fingerprint) {
                let part = try destination.fingerprint(table: table.name, partitionColumn: column, partition: key)
                guard let loadID else { return (part, part) }
                return (part, try destination.fingerprint(table: table.name, loadID: loadID, partitionColumn: column,
                                                          partition: key))
            }

            /// Fingerprints and checks after a step; with `scope`, also the rest of the table (a
            /// full scan, so only after the last step: any earlier change would still show there).
            func observe(_ name: String, note: String, exercised: Bool = true, scope: Bool = false) throws {
                let destination = try SQLiteDestination(path: config.warehouse)
                let (part, mine) = try measure(destination)
                var problems: [String] = []
                if let loadID {
                    let entry = try destination.ledgerEntry(table: table.name, loadID: loadID)
                    let recorded = entry?.fingerprint ?? LoadKit.Fingerprint()
                    if recorded != mine {
                        problems.append("the ledger entry of load \(loadID) says \(recorded), its rows are \(mine)")
                    }
                    if let entry, entry.partitionKey != key {
                        problems.append("the ledger entry of load \(loadID) is for partition \(entry.partitionKey ?? "NULL")")
                    }
                    let others = part.subtracting(mine)
                    if others != neighbours {
                        problems.append("rows of other loads in this partition changed (\(neighbours.hex) → \(others.hex))")
                    }
                } else {
                    let ledger = try destination.ledger(table: table.name).filter { $0.partitionKey == key }
                        .reduce(LoadKit.Fingerprint()) { $0.combined(with: $1.fingerprint) }
                    if ledger != part { problems.append("the ledger says \(ledger), the data is \(part)") }
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
                steps.append(Step(step: name, rows: mine.rows, fingerprint: mine.hex, ok: problems.isEmpty,
                                  exercised: exercised, detail: problems.isEmpty ? note : problems.joined(separator: "; ")))
            }

            if try !log.existingColumns(of: table.name).isEmpty {
                let (part, mine) = try measure(log)
                let whole = key == nil ? part : try log.fingerprint(table: table.name, partitionColumn: column, partition: nil)
                rest = whole.subtracting(mine)
                neighbours = part.subtracting(mine)
            }
            let first = try Self.load(config, table, key, parent: runID)
            try observe("load", note: first.summary)
            let again = try Self.load(config, table, key, parent: runID)
            try observe("load again", note: loadID == nil ? "same fingerprint"
                : "same fingerprint; \(again.summary): nothing appended twice")
            for point in FailPoint.allCases {
                if let loadID {
                    try log.removeLoad(table: table.name, loadID: loadID, runID: runID, lockTimeout: config.defaults.lockTimeout)
                }
                let child = try crashChild(config: config, point: point, parent: runID)
                // The child died with its run `running`: mark it now, not at the next run's sweep.
                for run in try log.runs(limit: 100, failedOnly: false)
                where run.parentRunID == runID && run.status == .running {
                    try log.finishRun(run.runID, status: .interrupted, finishedAt: Self.now())
                }
                let reload = try Self.load(config, table, key, parent: runID)
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
        /// - Throws: ``Load/LoadFailed`` with the load's error when it failed (already recorded).
        static func load(_ config: LoadKitConfig, _ table: LoadKitConfig.TableConfig, _ key: String?,
                         parent: String) throws -> Outcome {
            let pipeline = try Pipeline(config: config)
            let runner = try pipeline.runner(concurrency: 1, force: true)
            let partitions = try key.map { [try pipeline.scheme(of: table.name)!.partition(forKey: $0)] } ?? []
            let summary = try runner.run(RunPlan(graph: pipeline.graph, tasks: [table.name], partitions: partitions,
                                                 upstream: false),
                                         parentRunID: parent, command: "verify",
                                         arguments: Array(CommandLine.arguments.dropFirst()))
            guard summary.status == .success, let item = summary.items.first else {
                throw Load.LoadFailed(message: summary.items.first { $0.status == .failed }?.message
                    ?? "the load did not finish (\(summary.status.rawValue))")
            }
            return Outcome(status: item.status.rawValue, message: item.message)
        }

        /// The load id verify's loads use (SPEC.md §5): table + partition, else for an
        /// unpartitioned append from a file, table + the source's path relative to the config's
        /// folder (as ``Pipeline`` names it), else table.
        static func loadID(_ config: LoadKitConfig, _ table: LoadKitConfig.TableConfig, _ key: String?) -> String {
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
        enum ChildEnd {
            /// Exit 137 at the failpoint, as injected.
            case crashed
            /// The load finished without reaching the failpoint.
            case ended(Outcome)
            /// The load failed (exit status, error message).
            case failed(Int32, String)
        }

        /// Runs one load in a child process with `LOADKIT_FAILPOINT=<point>`, as a step of run
        /// `parent`.
        private func crashChild(config: LoadKitConfig, point: FailPoint, parent: String) throws -> ChildEnd {
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            var arguments = ["verify", "--table", table]
            if let partition { arguments += ["--partition", partition] }
            arguments += ["--step-of", parent, "--crash-at", point.rawValue,
                          "--quiet", "--json", "--config", config.file, "--warehouse", config.warehouse]
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
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
            try process.run()
            process.waitUntilExit()
            let status = process.terminationStatus
            if status == 137 { return .crashed }
            if status == 0, let data = FileManager.default.contents(atPath: stdout),
               let outcome = try? JSONDecoder().decode(Outcome.self, from: data) {
                return .ended(outcome)
            }
            let message = (try? String(contentsOfFile: stderr, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: "loadkit: error: ", with: "") ?? ""
            return .failed(status, message.isEmpty ? "no message" : message)
        }

        private static func now() -> String {
            CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
        }

        static func text(_ report: Report) -> String {
            let width = max(4, report.steps.map(\.step.count).max() ?? 0)
            var lines: [String] = []
            if let loadID = report.loadID {
                lines.append("rows and fingerprints: the rows of verify's load \(loadID); other loads' rows are checked unchanged")
            }
            lines.append("step".padding(toLength: width, withPad: " ", startingAt: 0) + "   rows  fingerprint                       result")
            for s in report.steps {
                lines.append(s.step.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(1, 7 - String(s.rows).count)) + "\(s.rows)  \(s.fingerprint)  "
                    + (s.ok ? "ok" : "FAILED") + ": \(s.detail)")
            }
            let subject = "\(report.table)" + (report.partition.map { " \($0)" } ?? "")
            let place = report.inPlace ? "in the warehouse" : "on a scratch copy; the warehouse is unchanged"
            let skipped = report.steps.filter { !$0.exercised }
                .map { $0.step.replacingOccurrences(of: ", load again", with: "") }
            let count = skipped.isEmpty ? "\(report.steps.count) steps"
                : "\(report.steps.count - skipped.count) of \(report.steps.count) steps exercised "
                    + "(not exercised: \(skipped.joined(separator: ", ")))"
            lines.append(report.ok
                ? "verify \(subject): idempotent — \(count), one fingerprint (\(place))"
                : "verify \(subject): FAILED at step '\(report.steps.first { !$0.ok }!.step)' — see above (\(place))")
            return lines.joined(separator: "\n")
        }
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
