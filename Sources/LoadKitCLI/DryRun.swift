import Foundation
import LoadKit
import LoadKitSQLite

/// `--dry-run`: what a run would do to each item, written nowhere.
enum DryRun {
    struct Step: Encodable {
        var table: String
        var partition: String?
        var action: String
        var reason: String

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(table, forKey: .table)
            try c.encode(partition, forKey: .partition)
            try c.encode(action, forKey: .action)
            try c.encode(reason, forKey: .reason)
        }
        enum CodingKeys: String, CodingKey { case table, partition, action, reason }
    }

    struct Report: Encodable {
        var table: String
        var plan: [Step]
    }

    /// The action for every item: `load` (not loaded), `reload` (source changed, or --force),
    /// `skip` (loaded from an unchanged source), `fail` (source file missing), or for a SQL
    /// transform already loaded, `check` (reloads only if an upstream partition changes).
    static func steps(_ plan: RunPlan, pipeline: Pipeline, force: Bool) throws -> [Step] {
        let config = pipeline.config
        let destination = FileManager.default.fileExists(atPath: config.warehouse)
            ? try SQLiteDestination(readingOnly: config.warehouse) : nil
        let base = URL(fileURLWithPath: config.file).deletingLastPathComponent().standardized.path
        let order = Dictionary(uniqueKeysWithValues: pipeline.graph.ordered.enumerated().map { ($1.name, $0) })
        let items = plan.items.sorted {
            ($0.partition?.start ?? .min, order[$0.task]!) < ($1.partition?.start ?? .min, order[$1.task]!)
        }
        return try items.map { item in
            let table = try config.requireTable(item.task)
            let scope: LoadID.Scope = item.partition.map { .partition($0.key) } ?? .table
            let entry = try destination?.ledgerEntry(table: table.name,
                                                     loadID: LoadID.make(table: table.name, mode: table.write, scope: scope))
            func step(_ action: String, _ reason: String) -> Step {
                Step(table: item.task, partition: item.partition?.key, action: action, reason: reason)
            }
            if let source = table.source {
                let path = item.partition.map { $0.fill(source.path) } ?? source.path
                let shown = LoadPlanner.relative(path, to: base)
                guard FileManager.default.fileExists(atPath: path) else {
                    return step("fail", "source file not found: \(shown)")
                }
                guard let entry else { return step("load", "not loaded; source \(shown)") }
                if force { return step("reload", "--force") }
                if table.write == .append { return step("load", "append of \(shown) (skipped if unchanged)") }
                return entry.sourceFingerprint == (try HashingByteSource.fingerprint(ofFile: path))
                    ? step("skip", "loaded from an unchanged source")
                    : step("reload", "source changed since it was loaded")
            }
            guard entry != nil else { return step("load", "not loaded") }
            return force ? step("reload", "--force") : step("check", "reloads if an upstream partition changed")
        }
    }

    static func print(_ plan: RunPlan, pipeline: Pipeline, force: Bool, table: String, json: Bool) throws {
        let steps = try steps(plan, pipeline: pipeline, force: force)
        if json {
            FileHandle.standardOutput.write(try JSONEncoder.sorted.encode(Report(table: table, plan: steps)))
            Swift.print()
            return
        }
        let width = max(9, steps.map { ($0.partition ?? "-").count }.max() ?? 0)
        let tableWidth = max(5, steps.map(\.table.count).max() ?? 0)
        Swift.print("partition".padding(toLength: width, withPad: " ", startingAt: 0) + "  "
            + "table".padding(toLength: tableWidth, withPad: " ", startingAt: 0) + "  action  reason")
        for s in steps {
            Swift.print((s.partition ?? "-").padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + s.table.padding(toLength: tableWidth, withPad: " ", startingAt: 0) + "  "
                + s.action.padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + s.reason)
        }
        let counts = Dictionary(grouping: steps, by: \.action).mapValues(\.count)
        Swift.print("dry run: " + ["load", "reload", "skip", "check", "fail"].compactMap { action in
            counts[action].map { "\($0) \(action)" }
        }.joined(separator: ", ") + "; nothing was written")
    }
}
