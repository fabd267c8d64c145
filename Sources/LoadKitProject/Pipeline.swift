import Foundation
import LoadKit
import LoadKitSQLite

/// The configured tables as a task graph, and the runner that executes it.
package struct Pipeline {
    package let config: LoadKitConfig
    package let graph: TaskGraph

    /// Builds one task per table.
    /// - Throws: ``ConfigError`` or ``LoadKitError`` for a table that cannot be a target, a
    ///   transform whose SQL is not one read-only query over existing tables
    ///   (``LoadKitConfig/checkTransforms()``), or a graph error (cycle).
    package init(config: LoadKitConfig) throws {
        self.config = config
        let base = URL(fileURLWithPath: config.file).deletingLastPathComponent().standardized.path
        var tasks: [RunTask] = []
        for table in config.tables {
            let retry = RetryPolicy(attempts: table.retry.attempts, initialDelay: table.retry.initialDelay,
                                    maxDelay: table.retry.maxDelay)
            if let sql = table.sql {
                let partitioning = table.partition.map {
                    TargetTable.Partitioning(column: $0.column,
                                             scheme: PartitionScheme(granularity: $0.granularity, timeZone: $0.timeZone),
                                             sourceColumn: nil)
                }
                tasks.append(.transform(name: table.name, sql: sql, schema: table.schema, partitioning: partitioning,
                                        writeMode: table.write, allowEmpty: table.allowEmpty,
                                        dependsOn: table.dependsOn, retry: retry,
                                        lockTimeout: config.defaults.lockTimeout, timeout: table.timeout))
            } else if let source = table.source {
                tasks.append(.load(try table.targetTable(),
                                   source: SourceTemplate(path: source.path, format: source.format,
                                                          options: source.options, baseDirectory: base),
                                   dependsOn: table.dependsOn, retry: retry, lockTimeout: config.defaults.lockTimeout,
                                   timeout: table.timeout, batch: table.batch))
            }
        }
        graph = try TaskGraph(tasks)
        try config.checkTransforms()
    }

    /// A runner over the warehouse: one connection per worker, one for the run log.
    package func runner(concurrency: Int? = nil, force: Bool = false, failFast: Bool = false) throws -> Runner {
        let warehouse = try Warehouse(config: config)
        return Runner(graph: graph, destinations: { try warehouse.open() },
                      runLog: try warehouse.openRunLog(),
                      options: .init(concurrency: concurrency ?? config.defaults.concurrency, force: force,
                                     failFast: failFast))
    }

    /// The partition scheme of a partitioned table.
    package func scheme(of table: String) throws -> PartitionScheme? {
        try config.requireTable(table).scheme
    }
}
