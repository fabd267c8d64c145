import ArgumentParser
import Foundation
import LoadKit
import LoadKitSQLite

extension LoadKitCommand {
    /// `loadkit verify`: prove that a load can be run again safely.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove a load is idempotent: load, load again, crash at each failpoint and load again.",
            discussion: """
                Steps: load → fingerprint; load again → fingerprint; then for each failpoint
                (after_staging, before_commit, after_commit) a child process runs the load and is
                killed there (like kill -9), and the load runs again → fingerprint. Every step also
                checks that the ledger agrees with the data; the last also that no other partition
                changed since before the first step.
                All fingerprints equal and every check passing = exit 0.

                Runs on a scratch copy of the warehouse (SQLite's backup API), leaving the warehouse
                byte for byte as it was, unless --in-place.

                Examples:
                  loadkit verify --table flights --partition 2013-01-05
                  loadkit verify --table airlines --json

                --json prints {"table", "partition", "inPlace", "ok", "steps": [{"step", "rows",
                "fingerprint", "ok", "detail"}]}.
                Exit codes: 0 idempotent, 1 a step diverged or a check failed, 64 usage or config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("The partition key (partitioned tables).", valueName: "key"))
        var partition: String?

        @Flag(name: .long, help: "Verify in the warehouse itself instead of a scratch copy.")
        var inPlace = false

        struct Step: Encodable {
            var step: String
            var rows: Int
            var fingerprint: String
            var ok: Bool
            var detail: String
        }

        struct Report: Encodable {
            var table: String
            var partition: String?
            var inPlace: Bool
            var ok: Bool
            var steps: [Step]

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
                try c.encode(inPlace, forKey: .inPlace); try c.encode(ok, forKey: .ok); try c.encode(steps, forKey: .steps)
            }
            enum CodingKeys: String, CodingKey { case table, partition, inPlace, ok, steps }
        }

        func run() throws {
            do {
                var config = try global.loadConfig()
                let tableConfig = try config.requireTable(table)
                let key = try tableConfig.partitionKey(partition, required: true)
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
                let steps = try verify(config: config, table: tableConfig, key: key)
                _ = scratch
                let report = Report(table: table, partition: key, inPlace: inPlace, ok: steps.allSatisfy(\.ok), steps: steps)
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

        private func verify(config: LoadKitConfig, table: LoadKitConfig.TableConfig, key: String?) throws -> [Step] {
            let column = table.partition?.column
            var steps: [Step] = []
            var reference: LoadKit.Fingerprint?
            var others: LoadKit.Fingerprint?

            /// Fingerprints the partition and checks the ledger; with `scope`, also the rest of the
            /// table (a full scan, so only after the last step: any earlier change to another
            /// partition would still show there).
            func observe(_ name: String, note: String, scope: Bool = false) throws {
                let destination = try SQLiteDestination(path: config.warehouse)
                let part = try destination.fingerprint(table: table.name, partitionColumn: column, partition: key)
                let whole = scope && key != nil
                    ? try destination.fingerprint(table: table.name, partitionColumn: column, partition: nil) : part
                var problems: [String] = []
                let ledger = try destination.ledger(table: table.name).filter { $0.partitionKey == key }
                    .reduce(LoadKit.Fingerprint()) { $0.combined(with: $1.fingerprint) }
                if ledger != part { problems.append("the ledger says \(ledger), the data is \(part)") }
                if !(try destination.stagingTables()).isEmpty { problems.append("a staging table was left behind") }
                let rest = whole.subtracting(part)
                if scope, let others, rest != others {
                    problems.append("other partitions changed (\(others.hex) → \(rest.hex))")
                }
                if let reference, reference != part {
                    problems.append("fingerprint diverged from the first load (\(reference.hex) → \(part.hex)): not idempotent")
                }
                reference = reference ?? part
                steps.append(Step(step: name, rows: part.rows, fingerprint: part.hex, ok: problems.isEmpty,
                                  detail: problems.isEmpty ? note : problems.joined(separator: "; ")))
            }

            // The rest of the table before anything runs: nothing but this partition may change.
            if FileManager.default.fileExists(atPath: config.warehouse) {
                let destination = try SQLiteDestination(path: config.warehouse)
                if try !destination.existingColumns(of: table.name).isEmpty {
                    let whole = try destination.fingerprint(table: table.name, partitionColumn: column, partition: nil)
                    let part = key == nil ? whole
                        : try destination.fingerprint(table: table.name, partitionColumn: column, partition: key)
                    others = whole.subtracting(part)
                } else {
                    others = LoadKit.Fingerprint()
                }
            }
            try load(config, table, key)
            try observe("load", note: "loaded")
            try load(config, table, key)
            try observe("load again", note: "same fingerprint")
            for point in FailPoint.allCases {
                let crash = try crashChild(config: config, point: point)
                try load(config, table, key)
                try observe("crash at \(point.rawValue), load again", note: crash, scope: point == FailPoint.allCases.last)
            }
            return steps
        }

        private func load(_ config: LoadKitConfig, _ table: LoadKitConfig.TableConfig, _ key: String?) throws {
            if table.sql != nil {
                // A transform task, as the runner runs it (forced: verify is about rerunning).
                let pipeline = try Pipeline(config: config)
                let runner = try pipeline.runner(concurrency: 1, force: true)
                let partitions = try key.map { [try pipeline.scheme(of: table.name)!.partition(forKey: $0)] } ?? []
                let summary = try runner.run(RunPlan(graph: pipeline.graph, tasks: [table.name], partitions: partitions,
                                                     upstream: false),
                                             command: "verify", arguments: Array(CommandLine.arguments.dropFirst()))
                if summary.status != .success {
                    throw Load.LoadFailed(message: summary.items.first { $0.status == .failed }?.message ?? "the load failed")
                }
            } else {
                _ = try Load.loadRecorded(config: config, table: table, partition: key, input: nil)
            }
        }

        /// Runs the load in a child process that dies at `point`; describes what happened.
        private func crashChild(config: LoadKitConfig, point: FailPoint) throws -> String {
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            var arguments = ["load", "--quiet", "--config", config.file, "--warehouse", config.warehouse, "--table", table]
            if let partition { arguments += ["--partition", partition] }
            if config.table(table)?.sql != nil { arguments = ["backfill", "--quiet", "--force", "--config", config.file,
                "--warehouse", config.warehouse, "--table", table, "--from", partition ?? "", "--to", partition ?? ""] }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["LOADKIT_FAILPOINT": point.rawValue]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 137
                ? "crashed at \(point.rawValue) as injected; same fingerprint after loading again"
                : "the load ended (status \(process.terminationStatus)) before reaching \(point.rawValue); loaded again"
        }

        static func text(_ report: Report) -> String {
            let width = max(4, report.steps.map(\.step.count).max() ?? 0)
            var lines = ["step".padding(toLength: width, withPad: " ", startingAt: 0) + "   rows  fingerprint                       result"]
            for s in report.steps {
                lines.append(s.step.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(1, 7 - String(s.rows).count)) + "\(s.rows)  \(s.fingerprint)  "
                    + (s.ok ? "ok" : "FAILED") + ": \(s.detail)")
            }
            let subject = "\(report.table)" + (report.partition.map { " \($0)" } ?? "")
            let place = report.inPlace ? "in the warehouse" : "on a scratch copy; the warehouse is unchanged"
            lines.append(report.ok
                ? "verify \(subject): idempotent — \(report.steps.count) steps, one fingerprint (\(place))"
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
