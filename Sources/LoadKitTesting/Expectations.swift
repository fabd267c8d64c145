import Foundation
import LoadKit
import LoadKitSQLite
import Testing

// Expectations for code that builds its tables in Swift (`TargetTable`, `Loader`, `Runner`).
// For a project opened from a loadkit.yml, see Expectations+Project.swift.

/// Expects that running `load` twice leaves `table` as running it once: the same rows, the same
/// fingerprints, the same ledger, and a ledger that adds up to the data. On a difference it
/// records an issue that lists the rows that differ (up to five of each kind).
///
/// ```swift
/// @Test func reloadingADayIsIdempotent() throws {
///     let warehouse = try TemporaryWarehouse()
///     try expectIdempotent(flights, in: warehouse) {
///         _ = try warehouse.loader().load(request)
///     }
/// }
/// ```
/// - Parameters:
///   - table: the table the load writes.
///   - warehouse: where it writes.
///   - load: one load (or any action meant to be idempotent); it runs twice.
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: what `load` throws, or a snapshot's `SQLiteError`.
public func expectIdempotent(_ table: TargetTable, in warehouse: TemporaryWarehouse,
                             sourceLocation: SourceLocation = #_sourceLocation,
                             _ load: () throws -> Void) throws {
    try load()
    let once = try TableSnapshot.take(table, from: warehouse.destination())
    try load()
    let twice = try TableSnapshot.take(table, from: warehouse.destination())
    compareRuns(once, twice, again: "the load", sourceLocation: sourceLocation)
    checkLedger(once, sourceLocation: sourceLocation)
}

/// Expects that `action` changes no partition of `table` outside `partitions`: every other
/// partition keeps its fingerprint. On a difference it records an issue naming the partitions
/// and rows that changed.
///
/// ```swift
/// try expectScoped(flights, in: warehouse, to: ["2013-01-05"]) {
///     _ = try warehouse.loader().load(LoadRequest(table: flights, input: input, scope: .partition(day)))
/// }
/// ```
/// - Parameters:
///   - table: the table to watch.
///   - warehouse: where it is.
///   - partitions: the keys the action may change (`nil` in the set allows the unpartitioned rows).
///   - action: the action, run once.
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: what `action` throws, or a snapshot's `SQLiteError`.
public func expectScoped(_ table: TargetTable, in warehouse: TemporaryWarehouse, to partitions: Set<String?>,
                         sourceLocation: SourceLocation = #_sourceLocation, _ action: () throws -> Void) throws {
    let before = try TableSnapshot.take(table, from: warehouse.destination())
    try action()
    let after = try TableSnapshot.take(table, from: warehouse.destination())
    checkScope(before, after, allowed: partitions, sourceLocation: sourceLocation)
}

/// Expects a load to recover from a crash at every failpoint: for each of `after_staging`,
/// `before_commit` and `after_commit`, runs `loadkit` in a child process with
/// `LOADKIT_FAILPOINT` set (it dies there with status 137, like `kill -9`), then runs it again
/// normally, and compares the table with a clean load's.
///
/// The config the arguments name must write to `warehouse`: pass `--warehouse` with
/// `warehouse.path` among the arguments, or use a config whose `warehouse:` is that file. For a
/// project opened from a loadkit.yml,
/// ``expectRecoversAfterCrash(_:table:partition:input:loadkit:sourceLocation:)`` takes both
/// from the project.
///
/// ```swift
/// try expectRecoversAfterCrash(loadkit: ".build/debug/loadkit",
///                              arguments: ["load", "--config", config, "--warehouse", warehouse.path,
///                                          "--table", "events", "--partition", "2024-01-05"],
///                              table: events, in: warehouse)
/// ```
/// - Parameters:
///   - loadkit: the path of the `loadkit` binary.
///   - arguments: the load's arguments, for example `["load", "--config", path, "--table", "t",
///     "--partition", "2024-01-05"]`.
///   - table: the table to compare.
///   - warehouse: the warehouse the config writes to.
///   - sourceLocation: where an issue is recorded; the caller's line by default.
/// - Throws: when the binary cannot be started, or a snapshot's `SQLiteError`.
public func expectRecoversAfterCrash(loadkit: String, arguments: [String], table: TargetTable,
                                     in warehouse: TemporaryWarehouse,
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
    try checkCrashRecovery(
        table: table.name, sourceLocation: sourceLocation,
        snapshot: { try TableSnapshot.take(table, from: warehouse.destination()) },
        load: {
            let result = try ChildProcess.run(loadkit, arguments)
            return result.status == 0 ? nil : " (exit \(result.status)): \(result.stderr)"
        },
        crash: { point in try ChildProcess.run(loadkit, arguments, environment: ["LOADKIT_FAILPOINT": point.rawValue]) })
}

/// The crash-recovery steps shared by the expectations: a clean load as the reference, then
/// for each failpoint a crashed load and a load again, each compared with the reference.
/// `load` returns `nil` on success, else why it failed (the rest of a sentence: `" (exit 1): …"`).
func checkCrashRecovery(table: String, sourceLocation: SourceLocation,
                        snapshot: () throws -> TableSnapshot, load: () throws -> String?,
                        crash: (FailPoint) throws -> ChildProcess.Result) throws {
    if let failure = try load() {
        report("the load itself failed\(failure)", sourceLocation: sourceLocation)
        return
    }
    let reference = try snapshot()
    for point in FailPoint.allCases {
        let crashed = try crash(point)
        if crashed.status != 137 && crashed.status != 0 {
            report("the load with LOADKIT_FAILPOINT=\(point.rawValue) failed (exit \(crashed.status)) instead of "
                + "crashing there: \(crashed.stderr)", sourceLocation: sourceLocation)
        }
        let afterCrash = try snapshot()
        if afterCrash.fingerprint != reference.fingerprint || afterCrash.ledger.count != reference.ledger.count {
            report("a crash at \(point.rawValue) (exit \(crashed.status)) left table '\(table)' neither as "
                + "before nor as after the load\n" + reference.differences(to: afterCrash), sourceLocation: sourceLocation)
        }
        let failure = try load()
        let recovered = try snapshot()
        if let failure {
            report("the load after a crash at \(point.rawValue) failed\(failure)", sourceLocation: sourceLocation)
        } else if recovered != reference {
            report("after a crash at \(point.rawValue) and a rerun, table '\(table)' differs from a clean load\n"
                + reference.differences(to: recovered), sourceLocation: sourceLocation)
        }
    }
}

/// Records an issue when the snapshot after a second run differs from the one after the first.
/// `again` names what ran twice (`the load`, `the action`).
func compareRuns(_ once: TableSnapshot, _ twice: TableSnapshot, again: String, sourceLocation: SourceLocation) {
    if once != twice {
        report("not idempotent: running \(again) again changed table '\(once.table)'\n"
            + once.differences(to: twice), sourceLocation: sourceLocation)
    }
}

/// Records an issue when a partition outside `allowed` differs between the snapshots.
func checkScope(_ before: TableSnapshot, _ after: TableSnapshot, allowed partitions: Set<String?>,
                sourceLocation: SourceLocation) {
    let keys = Set(before.partitions.keys).union(after.partitions.keys).subtracting(partitions)
    let changed = keys.filter { before.partitions[$0] != after.partitions[$0] }.sorted { ($0 ?? "") < ($1 ?? "") }
    guard !changed.isEmpty else { return }
    func restricted(_ s: TableSnapshot) -> TableSnapshot {
        var s = s
        s.rows = s.rows.filter { changed.contains(s.key(of: $0)) }
        s.partitions = s.partitions.filter { changed.contains($0.key) }
        s.ledger = []
        return s
    }
    let allowed: [String] = partitions.map { $0 ?? "-" }.sorted()
    let names: [String] = changed.map { $0 ?? "(unpartitioned)" }
    let diff = restricted(before).differences(to: restricted(after))
    report("not scoped: partitions outside \(allowed) changed: \(names.joined(separator: ", "))\n\(diff)",
           sourceLocation: sourceLocation)
}

/// Records an issue when a snapshot's ledger disagrees with its data, partition by partition.
/// An entry of an older fingerprint version is compared with the data fingerprinted in its
/// version.
func checkLedger(_ snapshot: TableSnapshot, sourceLocation: SourceLocation) {
    var ledger: [String?: Fingerprint] = [:]
    var mixed = false
    for line in snapshot.ledger {
        let parts = line.split(separator: " ")
        guard parts.count == 5, let rows = Int(parts[2]), let version = Fingerprint.Version(rawValue: String(parts[4])),
              let fingerprint = Fingerprint(hex: String(parts[3]), rows: rows, version: version) else { continue }
        let key: String? = parts[0] == "-" ? nil : String(parts[0])
        let sum = ledger[key, default: Fingerprint()]
        if !sum.isEmpty && !fingerprint.isEmpty && sum.version != fingerprint.version { mixed = true; continue }
        ledger[key] = sum.combined(with: fingerprint)
    }
    // The data per partition in `version`.
    func data(_ version: Fingerprint.Version) -> [String?: Fingerprint] {
        if version == .current { return snapshot.partitions }
        var result: [String?: Fingerprint] = [:]
        for row in snapshot.rows {
            result[snapshot.key(of: row), default: Fingerprint(version: version)].add(row)
        }
        return result
    }
    let versions = Set(ledger.values.filter { !$0.isEmpty }.map(\.version))
    // An append of a whole input has one ledger entry (no partition) for rows of many partitions:
    // then only the totals can be compared.
    if ledger.keys.contains(where: { $0 == nil }) {
        guard !mixed, versions.count <= 1 else {
            report("the ledger of '\(snapshot.table)' mixes fingerprint versions; its totals cannot be compared",
                   sourceLocation: sourceLocation)
            return
        }
        let total = ledger.values.reduce(Fingerprint()) { $0.combined(with: $1) }
        let rows = data(versions.first ?? .current).values.reduce(Fingerprint()) { $0.combined(with: $1) }
        if total != rows {
            report("the ledger of '\(snapshot.table)' says \(total) in all but the data is \(rows)",
                   sourceLocation: sourceLocation)
        }
        return
    }
    if mixed {
        report("the ledger of '\(snapshot.table)' mixes fingerprint versions within a partition", sourceLocation: sourceLocation)
    }
    let byVersion = Dictionary(uniqueKeysWithValues: versions.union([.current]).map { ($0, data($0)) })
    for key in snapshot.partitions.keys {
        let recorded = ledger[key]
        let rows = byVersion[recorded?.version ?? .current]![key] ?? Fingerprint()
        if recorded != rows {
            report("the ledger of '\(snapshot.table)' says \(recorded?.description ?? "nothing") for partition "
                + "\(key ?? "(whole table)") but the data is \(rows)", sourceLocation: sourceLocation)
        }
    }
}

/// Records a test issue with a message built at run time.
func report(_ message: String, sourceLocation: SourceLocation) {
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
}
