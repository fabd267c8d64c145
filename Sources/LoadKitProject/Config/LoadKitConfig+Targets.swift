import Foundation
import LoadKit

extension LoadKitConfig.TableConfig {
    /// The writer's view of a table with declared columns (file sources, and transforms whose
    /// columns are declared).
    /// - Parameter schema: the columns to use; the declared ones by default.
    /// - Throws: ``LoadKitError`` `.schema` when the table cannot be a target as declared.
    package func targetTable(schema: TableSchema? = nil) throws -> TargetTable {
        guard let schema = schema ?? self.schema else {
            throw LoadKitError(.schema, "table '\(name)' has no declared columns")
        }
        return try TargetTable(
            name: name, schema: schema,
            partitioning: partition.map {
                .init(column: $0.column, scheme: PartitionScheme(granularity: $0.granularity, timeZone: $0.timeZone),
                      sourceColumn: $0.from)
            },
            writeMode: write,
            outsideRows: outsideRows == .skip ? .skip : .error,
            allowEmpty: allowEmpty)
    }

    /// The canonical partition key named by a `--partition` flag.
    /// - Parameters:
    ///   - key: the flag's value, `nil` when absent.
    ///   - required: whether a partitioned table needs the flag.
    /// - Throws: a usage error when the flag does not fit the table, ``LoadKitError``
    ///   `.partitionKey` for a malformed key.
    package func partitionKey(_ key: String?, required: Bool = false) throws -> String? {
        guard let key else {
            if required && partition != nil {
                throw UsageError("table '\(name)' is partitioned: give --partition KEY")
            }
            return nil
        }
        guard let scheme else {
            throw UsageError("table '\(name)' is not partitioned; run without --partition")
        }
        return try scheme.partition(forKey: key).key
    }

    /// The partition scheme, for a partitioned table.
    package var scheme: PartitionScheme? {
        partition.map { PartitionScheme(granularity: $0.granularity, timeZone: $0.timeZone) }
    }
}

extension LoadKitConfig.TableConfig {
    /// The table's definition as its loads record it in the ledger (SPEC.md G6): the same value
    /// the runner's tasks compute, so `status` and `--dry-run` see exactly what a load would.
    package func definition() throws -> TableDefinition {
        if sql != nil {
            let partitioning = partition.map {
                TargetTable.Partitioning(column: $0.column,
                                         scheme: PartitionScheme(granularity: $0.granularity, timeZone: $0.timeZone),
                                         sourceColumn: nil)
            }
            return TableDefinition(columns: schema?.columns, options: nil, partitioning: partitioning, writeMode: write)
        }
        return TableDefinition(table: try targetTable(), options: source?.options)
    }
}
