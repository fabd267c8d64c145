import Foundation
import LoadKit

/// Plans shared by backfill, run and rerun.
package enum RunPlanning {
    /// `tables` and their upstream tasks for `partitions`; upstream tasks must be unpartitioned or
    /// partitioned the same way (for transforms the config already refuses anything else,
    /// see `LoadKitConfig.parse`), and no two partitions of a table may read one source file.
    /// - Throws: ``UsageError`` (exit 64) for an upstream table partitioned differently, or for
    ///   two partitions whose source template fills to the same file (the two 01:00 hours of a
    ///   fall-back day under a `{hour}` template; ``SourceTemplate/sharedInput(among:)``),
    ///   before anything runs.
    package static func plan(_ pipeline: Pipeline, tables: [String], partitions: [Partition]) throws -> RunPlan {
        let graph = pipeline.graph
        for task in graph.closure(of: Set(tables)) where task.partitioned {
            let scheme = try pipeline.scheme(of: task.name)
            if let first = partitions.first, scheme?.granularity != first.granularity
                || (try? scheme?.partition(forKey: first.key)) != first {
                throw UsageError("table '\(task.name)' is partitioned differently from '\(tables[0])' "
                    + "(\(scheme?.granularity.rawValue ?? "none") in \(scheme?.timeZone.displayIdentifier ?? "-")); "
                    + "a run covers tables with the same partitions")
            }
            if let source = pipeline.config.table(task.name)?.source,
               let shared = SourceTemplate(path: source.path).sharedInput(among: partitions) {
                throw UsageError("table '\(task.name)': partitions \(shared.first.key) and \(shared.second.key) both read "
                    + "\(InputIdentity.displayName(of: shared.path)); use {key} in the path template "
                    + "(it includes the UTC offset)")
            }
        }
        return RunPlan(graph: graph, tasks: Set(tables), partitions: partitions)
    }
}
