import Foundation
import LoadKit

extension LoadKitConfig.TableConfig {
    /// The writer's view of a table with declared columns (file sources, and transforms whose
    /// columns are declared).
    /// - Parameter schema: the columns to use; the declared ones by default.
    /// - Throws: ``LoadKitError`` `.schema` when the table cannot be a target as declared.
    func targetTable(schema: TableSchema? = nil) throws -> TargetTable {
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

    /// The partition scheme, for a partitioned table.
    var scheme: PartitionScheme? {
        partition.map { PartitionScheme(granularity: $0.granularity, timeZone: $0.timeZone) }
    }
}
