import Foundation
import LoadKit
import LoadKitSQLite

/// `--dry-run`: what a run would do to each item, written nowhere.
public enum DryRun {
    /// One item of the plan: `{"table", "partition", "action", "reason"}`.
    public struct Step: Codable, Sendable, Equatable {
        /// The table.
        public var table: String
        /// The partition key; `nil` for an unpartitioned table.
        public var partition: String?
        /// `load`, `reload`, `skip`, `fail` or `upstream_failed`.
        public var action: String
        /// Why, in words (`source changed since it was loaded`).
        public var reason: String

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(table, forKey: .table)
            try c.encode(partition, forKey: .partition)
            try c.encode(action, forKey: .action)
            try c.encode(reason, forKey: .reason)
        }
        enum CodingKeys: String, CodingKey { case table, partition, action, reason }
    }

    /// A dry run's plan: the value `--dry-run --json` prints, `{"table", "plan": [...]}`.
    public struct Report: Codable, Sendable, Equatable {
        /// The table planned (`*` for `run`).
        public var table: String
        /// Every item, in the order the run would reach them.
        public var plan: [Step]
        /// Whether the plan foresees a failure (the command's dry run then exits 1).
        public var foreseesFailure: Bool { DryRun.foreseesFailure(plan) }
        package init(table: String, plan: [Step]) { self.table = table; self.plan = plan }
    }

    /// The action for every item, decided by the same rules the run applies (SPEC.md §3):
    /// `load` (not loaded), `reload` (its source or definition changed, or `--force`), `skip`
    /// (loaded from an unchanged source and definition), `fail` (a failure it can foresee: a
    /// missing or unreadable source, a partitioning change the load would refuse), or
    /// `upstream_failed` (an upstream item of the same partition fails). A transform whose
    /// upstream item loads or reloads in this plan reloads; otherwise its source fingerprint
    /// is computed from the ledger exactly as its load would.
    package static func steps(_ plan: RunPlan, pipeline: Pipeline, force: Bool, rebuilding: Set<String> = []) throws -> [Step] {
        let config = pipeline.config
        let destination = try Warehouse(config: config).openForReading()
        let base = URL(fileURLWithPath: config.file).deletingLastPathComponent().standardized.path
        let order = Dictionary(uniqueKeysWithValues: pipeline.graph.ordered.enumerated().map { ($1.name, $0) })
        let items = plan.items.sorted {
            ($0.partition?.start ?? .min, order[$0.task]!) < ($1.partition?.start ?? .min, order[$1.task]!)
        }
        var actions: [String: String] = [:]  // "table\0key" → action, for downstream items
        func id(_ table: String, _ key: String?) -> String { table + "\u{0}" + (key ?? "") }
        var steps: [Step] = []
        for item in items {
            let table = try config.requireTable(item.task)
            func step(_ action: String, _ reason: String) -> Step {
                Step(table: item.task, partition: item.partition?.key, action: action, reason: reason)
            }
            let decided = try decide(item, table: table, config: config,
                                     destination: rebuilding.contains(table.name) ? nil : destination, force: force,
                                     base: base, upstream: table.dependsOn.map { dependency in
                                         (dependency, actions[id(dependency, item.partition?.key)]
                                             ?? actions[id(dependency, nil)])
                                     })
            actions[id(item.task, item.partition?.key)] = decided.action
            steps.append(step(decided.action, decided.reason))
        }
        return steps
    }

    private static func decide(_ item: RunPlan.Item, table: LoadKitConfig.TableConfig, config: LoadKitConfig,
                               destination: (any WarehouseDestination)?, force: Bool, base: String,
                               upstream: [(table: String, action: String?)]) throws -> (action: String, reason: String) {
        if let failed = upstream.first(where: { $0.action == "fail" || $0.action == "upstream_failed" }) {
            return ("upstream_failed", "upstream task \(failed.table)\(item.partition.map { " \($0.key)" } ?? "") fails")
        }
        let definition = try table.definition()
        if let old = try destination?.recordedPartitionings(table: table.name)
            .first(where: { !definition.isSamePartitioning(as: $0) }) {
            return ("fail", "refused: the table was loaded with different partitions ("
                + (definition.partitioningChange(from: old) ?? "partitioning changed")
                + "); rebuild it with backfill --rebuild")
        }
        // The load id exactly as the task makes it (an unpartitioned append is named by its file).
        let loadID: String
        if let source = table.source {
            let template = SourceTemplate(path: source.path, format: source.format, options: source.options,
                                          baseDirectory: base)
            loadID = LoadRequest(table: try table.targetTable(), input: template.input(for: item.partition).input,
                                 scope: item.partition.map { .partition($0) } ?? .wholeTable).loadID
        } else {
            loadID = LoadID.make(table: table.name, mode: table.write,
                                 scope: item.partition.map { .partition($0.key) } ?? .table)
        }
        let entry = try destination?.ledgerEntry(table: table.name, loadID: loadID)
        let definitionChanged = entry?.definitionFingerprint.map { $0 != definition.fingerprint } ?? false
        if let source = table.source {
            let path = item.partition.map { $0.fill(source.path) } ?? source.path
            let shown = InputIdentity.displayName(of: path)
            guard FileManager.default.fileExists(atPath: path) else {
                return ("fail", "source file not found: \(shown)")
            }
            let current: String
            do {
                current = try HashingByteSource.fingerprint(ofFile: path, displayName: shown)
            } catch {
                return ("fail", "source file cannot be read: \(error)")
            }
            guard let entry else { return ("load", "not loaded; source \(shown)") }
            if force { return ("reload", "--force") }
            if definitionChanged { return ("reload", "the table's definition changed since it was loaded") }
            return entry.sourceFingerprint == current
                ? ("skip", table.write == .append ? "already appended from an unchanged source" : "loaded from an unchanged source")
                : ("reload", "source changed since it was loaded")
        }
        if let changed = upstream.first(where: { $0.action == "load" || $0.action == "reload" }) {
            return (entry == nil ? "load" : "reload", "upstream task \(changed.table) \(changed.action!)s in this run")
        }
        guard let entry, let destination, let sql = table.sql else { return ("load", "not loaded") }
        if force { return ("reload", "--force") }
        if definitionChanged { return ("reload", "the table's definition changed since it was loaded") }
        let inputs = try TransformInputs(sql: sql, partitionKey: item.partition?.key, upstream: table.dependsOn,
                                         destination: destination)
        return inputs.sourceFingerprint == entry.sourceFingerprint
            ? ("skip", "loaded; its SQL and upstream partitions are unchanged")
            : ("reload", "its SQL or an upstream partition changed since it was loaded")
    }

    /// Whether the plan foresees a failure (the dry run then exits 1).
    package static func foreseesFailure(_ steps: [Step]) -> Bool {
        steps.contains { $0.action == "fail" || $0.action == "upstream_failed" }
    }
}
