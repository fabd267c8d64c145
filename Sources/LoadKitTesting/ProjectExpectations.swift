import Foundation
import LoadKit
import LoadKitProject
import Testing

// Expectations for a project opened from your own loadkit.yml. Each reads the tables from the
// project's warehouse (`project.warehouse`), whatever its file is called; open the project
// with `TemporaryWarehouse.project(configPath:)` (or `Project(configPath:warehouse:)`) so the
// tests never write to your real warehouse.

/// Expects that running `action` twice leaves the project's tables as running it once: the
/// same rows, the same fingerprints per partition, the same ledger entries (partition, load id,
/// rows, fingerprint), and ledger entries that add up to the data. On a difference it records
/// one issue per table that changed, listing the rows that differ (up to five of each kind).
///
/// It also records an issue when either run returns a `RunSummary` whose status is not
/// `success`: two failed runs that leave the same state prove nothing about your loads.
///
/// ```swift
/// @Test func januaryBackfillIsIdempotent() throws {
///     let warehouse = try TemporaryWarehouse()
///     let project = try warehouse.project(configPath: "loadkit.yml")
///     try expectIdempotent(project) {
///         try project.backfill("daily_delays", from: "2013-01-01", to: "2013-01-03")
///     }
/// }
/// ```
///
/// A plain backfill run a second time skips every partition loaded from an unchanged source.
/// To run the loads themselves again, force them:
/// `try project.backfill("flights", from: "2013-01-01", to: "2013-01-03", options: RunOptions(force: true))`.
/// - Parameters:
///   - project: the project whose warehouse the action writes.
///   - tables: the tables to compare; `nil` (the default) compares every table of the config.
///   - action: the action, run twice: a backfill, a load, a run, or code of your own.
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: what `action` throws, `ConfigError` for a table the config does not
///   declare, or a snapshot's `SQLiteError`.
public func expectIdempotent<Result>(_ project: Project, tables: [String]? = nil,
                                     sourceLocation: SourceLocation = #_sourceLocation,
                                     _ action: () throws -> Result) throws {
    let names = tables ?? project.tables
    checkSucceeded(try action(), run: "first", sourceLocation: sourceLocation)
    let once = try names.map { try TableSnapshot.take($0, of: project) }
    checkSucceeded(try action(), run: "second", sourceLocation: sourceLocation)
    let twice = try names.map { try TableSnapshot.take($0, of: project) }
    for (first, second) in zip(once, twice) {
        compareRuns(first, second, again: "the action", sourceLocation: sourceLocation)
        checkLedger(first, sourceLocation: sourceLocation)
    }
}

/// Expects that running `action` twice leaves `table` as running it once; the other tables
/// are not compared. As ``expectIdempotent(_:tables:sourceLocation:_:)`` with one table.
///
/// ```swift
/// try expectIdempotent(project, table: "flights") {
///     try project.load("flights", file: "late.csv")
/// }
/// ```
/// - Parameters:
///   - project: the project whose warehouse the action writes.
///   - table: the one table to compare.
///   - action: the action, run twice.
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: as ``expectIdempotent(_:tables:sourceLocation:_:)``.
public func expectIdempotent<Result>(_ project: Project, table: String,
                                     sourceLocation: SourceLocation = #_sourceLocation,
                                     _ action: () throws -> Result) throws {
    try expectIdempotent(project, tables: [table], sourceLocation: sourceLocation, action)
}

/// Expects that `action` changes no partition of `table` outside `partitions`: every other
/// partition keeps its fingerprint (rows and content). On a difference it records an issue
/// naming the partitions that changed and their rows before and after.
///
/// ```swift
/// @Test func reloadingOneDayTouchesOnlyThatDay() throws {
///     let warehouse = try TemporaryWarehouse()
///     let project = try warehouse.project(configPath: "loadkit.yml")
///     try project.backfill("flights", from: "2013-01-01", to: "2013-01-03")
///     try expectScoped(project, table: "flights", to: ["2013-01-02"]) {
///         try project.load("flights", partition: "2013-01-02")
///     }
/// }
/// ```
/// - Parameters:
///   - project: the project whose warehouse the action writes.
///   - table: a partitioned table of the config.
///   - partitions: the partition keys the action may change (any spelling the table's
///     granularity accepts; hour keys are compared in their canonical form).
///   - action: the action, run once.
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: what `action` throws; `UsageError` for a key that does not fit the
///   table or an unpartitioned table; `ConfigError` for a table the config does not
///   declare; a snapshot's `SQLiteError`.
public func expectScoped<Result>(_ project: Project, table: String, to partitions: Set<String>,
                                 sourceLocation: SourceLocation = #_sourceLocation,
                                 _ action: () throws -> Result) throws {
    let tableConfig = try project.config.requireTable(table)
    guard tableConfig.partition != nil else {
        throw UsageError("table '\(table)' is not partitioned; expectScoped needs partitions to compare")
    }
    let allowed = Set(try partitions.map { try tableConfig.partitionKey($0) })
    let before = try TableSnapshot.take(table, of: project)
    _ = try action()
    let after = try TableSnapshot.take(table, of: project)
    checkScope(before, after, allowed: allowed, sourceLocation: sourceLocation)
}

/// Expects a load of your project to recover from a crash at every failpoint (SPEC.md G2):
/// loads `table` once through `project` as the reference, then for each of `after_staging`,
/// `before_commit` and `after_commit` runs the same load as `loadkit load` in a child process
/// with `LOADKIT_FAILPOINT` set, so it dies there with status 137 as under `kill -9`, checks that
/// the crash left the table as before or as after the load, loads again through `project`, and
/// compares the table with the reference.
///
/// The child reads the project's own config file (`Project.configFile`) and
/// writes to the project's warehouse (`--warehouse` `Project.warehouse`), whatever
/// that file is called; a project built from YAML text in code (`Project(yaml:file:)`)
/// has no file for the child to read and is reported.
///
/// ```swift
/// @Test func aDayRecoversFromACrash() throws {
///     let warehouse = try TemporaryWarehouse()
///     let project = try warehouse.project(configPath: "loadkit.yml")
///     try expectRecoversAfterCrash(project, table: "flights", partition: "2013-01-02",
///                                  loadkit: ".build/debug/loadkit")
/// }
/// ```
/// - Parameters:
///   - project: the project; opened from a file.
///   - table: the table to load and compare.
///   - partition: the partition to load (`loadkit load --partition`), or
///   - input: the file to load (`loadkit load --input`); neither loads an unpartitioned table whole.
///   - loadkit: the path of the `loadkit` binary (`swift build --product loadkit` builds it).
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: when the binary cannot be started, `UsageError` or
///   `ConfigError` when the arguments do not fit the table, or a snapshot's
///   `SQLiteError`.
public func expectRecoversAfterCrash(_ project: Project, table: String, partition: String? = nil,
                                     input: String? = nil, loadkit: String,
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard FileManager.default.isExecutableFile(atPath: loadkit) else {
        report("no loadkit binary at \(loadkit); build it with `swift build --product loadkit`",
               sourceLocation: sourceLocation)
        return
    }
    guard FileManager.default.fileExists(atPath: project.configFile) else {
        report("the project's config \(project.configFile) is not a file the loadkit command can read; "
            + "open the project with Project(configPath:warehouse:)", sourceLocation: sourceLocation)
        return
    }
    var arguments = ["load", "--quiet", "--config", project.configFile, "--warehouse", project.warehouse,
                     "--table", table]
    if let partition { arguments += ["--partition", partition] }
    if let input { arguments += ["--input", input] }
    try checkCrashRecovery(
        table: table, sourceLocation: sourceLocation,
        snapshot: { try TableSnapshot.take(table, of: project) },
        load: {
            do {
                try project.load(table: table, partition: partition, input: input)
                return nil
            } catch let failure as LoadFailure {
                return ": \(failure.message) (run \(failure.runID))"
            }
        },
        crash: { point in try ChildProcess.run(loadkit, arguments, environment: ["LOADKIT_FAILPOINT": point.rawValue]) })
}

/// Records an issue when `result` is a run that did not succeed.
private func checkSucceeded(_ result: Any, run: String, sourceLocation: SourceLocation) {
    guard let summary = result as? RunSummary, summary.status != .success else { return }
    let failures = summary.items.filter { $0.status != .success && $0.status != .skipped }
    var lines = failures.prefix(5).map {
        "  \($0.task) \($0.partitionKey ?? "-"): \($0.status.rawValue)" + ($0.message.map { ": \($0)" } ?? "")
    }
    if failures.count > 5 { lines.append("  … and \(failures.count - 5) more") }
    report("the \(run) run \(summary.runID) ended \(summary.status.rawValue), which proves nothing about "
        + "idempotency:\n" + lines.joined(separator: "\n"), sourceLocation: sourceLocation)
}
