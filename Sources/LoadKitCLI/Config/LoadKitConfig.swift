import Foundation
import LoadKit

/// The typed contents of `loadkit.yml` (SPEC.md §2). Relative paths are already resolved
/// against the config file's folder.
struct LoadKitConfig {
    /// The config file's path as given.
    var file: String
    /// The SQLite file of the warehouse (absolute or relative to the working directory).
    var warehouse: String
    /// The default zone for partition boundaries and naive timestamps.
    var timeZone: TimeZone
    var defaults: Defaults
    /// The tables in the order the file declares them.
    var tables: [TableConfig]
    var notify: Notify

    /// The table named `name`, if declared.
    func table(_ name: String) -> TableConfig? { tables.first { $0.name == name } }

    struct Defaults {
        var concurrency = 2
        var retry = RetrySettings()
        var lockTimeout: Duration = .seconds(60)
    }

    /// Attempts include the first; delays in `Duration`.
    struct RetrySettings: Equatable {
        var attempts = 3
        var initialDelay: Duration = .seconds(1)
        var maxDelay: Duration = .seconds(60)
    }

    struct Notify {
        var onFailure: String?
        var onSuccess: String?
    }

    /// What to do with a row of another partition in a static replace.
    enum OutsideRows: String, CaseIterable { case error, skip }

    struct TableConfig {
        var name: String
        var source: SourceConfig?
        var sql: String?
        var schema: TableSchema?
        var partition: PartitionConfig?
        var write: WriteMode = .replace
        var outsideRows: OutsideRows = .error
        var allowEmpty = false
        var retry: RetrySettings
        var dependsOn: [String] = []
        /// The line of the table's key in the file, for later errors.
        var line: Int?
        /// The line and column of the table's `sql` key, for errors in its query.
        var sqlLine: Int?
        var sqlColumn: Int?
    }

    struct SourceConfig {
        /// The path template, resolved against the config folder; may hold placeholders.
        var path: String
        var format: SourceFormat
        var options: SourceOptions
    }

    struct PartitionConfig {
        /// The partition key column in the target.
        var column: String
        var granularity: Granularity
        /// The source column (date or timestamp) the key is derived from; `nil` for SQL tables.
        var from: String?
        var timeZone: TimeZone
    }
}
