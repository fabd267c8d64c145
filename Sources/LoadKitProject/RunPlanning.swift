import LoadKit

/// Plans shared by backfill, run and rerun.
package enum RunPlanning {
    /// `tables` and their upstream tasks for `partitions`; upstream tasks must be unpartitioned or
    /// partitioned the same way.
    package static func plan(_ pipeline: Pipeline, tables: [String], partitions: [Partition]) throws -> RunPlan {
        let graph = pipeline.graph
        for task in graph.closure(of: Set(tables)) where task.partitioned {
            let scheme = try pipeline.scheme(of: task.name)
            if let first = partitions.first, scheme?.granularity != first.granularity
                || (try? scheme?.partition(forKey: first.key)) != first {
                throw UsageError("table '\(task.name)' is partitioned differently from '\(tables[0])' "
                    + "(\(scheme?.granularity.rawValue ?? "none") in \(scheme?.timeZone.identifier ?? "-")); "
                    + "a run covers tables with the same partitions")
            }
        }
        return RunPlan(graph: graph, tasks: Set(tables), partitions: partitions)
    }
}
