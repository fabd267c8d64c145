import Foundation
import LoadKit

/// The typed contents of `loadkit.yml` (SPEC.md §2). Relative paths are already resolved
/// against the config file's folder.
package struct LoadKitConfig {
    /// The config file's path as given.
    package var file: String
    /// The warehouse: a SQLite file (absolute or relative to the working directory) or a
    /// PostgreSQL URI (SPEC.md §7).
    package var warehouse: String
    /// The PostgreSQL schema holding the targets and the `_loadkit_` tables (`schema:`, SPEC.md §7).
    package var schema = "public"
    /// More PostgreSQL schemas in which a transform's query finds unqualified names, after
    /// `schema`: never in a file; verify's scratch schema reads the warehouse's schema here.
    package var readingAlso: [String] = []
    /// The default zone for partition boundaries and naive timestamps.
    package var timeZone: TimeZone
    package var defaults: Defaults
    /// The tables in the order the file declares them.
    package var tables: [TableConfig]
    package var notify: Notify
    /// Where SQLite writes its temp files (staging tables), resolved; `nil` for SQLite's default.
    package var tempDir: String?
    /// How long a queued task's claim lasts without renewal (`queue: { lease: }`, SPEC.md §8).
    package var queueLease: Duration = .seconds(30)

    /// The table named `name`, if declared.
    package func table(_ name: String) -> TableConfig? { tables.first { $0.name == name } }

    package struct Defaults {
        package var concurrency = 2
        package var retry = RetrySettings()
        package var lockTimeout: Duration = .seconds(60)
    }

    /// Attempts include the first; delays in `Duration`.
    package struct RetrySettings: Equatable {
        package var attempts = 3
        package var initialDelay: Duration = .seconds(1)
        package var maxDelay: Duration = .seconds(60)
        package init(attempts: Int = 3, initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60)) {
            self.attempts = attempts; self.initialDelay = initialDelay; self.maxDelay = maxDelay
        }
    }

    /// `notify:` hooks, each a shell command line (SPEC.md §9).
    package struct Notify {
        /// Every run that ends failed.
        package var onFailure: String?
        /// Every run that ends successfully (opt-in).
        package var onSuccess: String?
        /// The first successful run after a failed run of the same scope (command and tables).
        package var onRecovery: String?
        /// Once per partition that becomes late.
        package var onLate: String?
    }

    /// What to do with a row of another partition in a static replace.
    package enum OutsideRows: String, CaseIterable { case error, skip }

    package struct TableConfig {
        package var name: String
        package var source: SourceConfig?
        package var sql: String?
        package var schema: TableSchema?
        package var partition: PartitionConfig?
        package var write: WriteMode = .replace
        package var outsideRows: OutsideRows = .error
        package var allowEmpty = false
        package var retry: RetrySettings
        package var dependsOn: [String] = []
        /// How long one attempt may run before it is cancelled (a transient failure); `nil`:
        /// no limit (`timeout:`).
        package var timeout: Duration?
        /// Up to this many consecutive partitions per transaction (`batch:`, at least 1).
        package var batch = 1
        /// When `run --due` loads the table's partitions; `nil` when it is not scheduled.
        package var schedule: ScheduleConfig?
        /// The line of the table's key in the file, for later errors.
        package var line: Int?
        /// The line and column of the table's `sql` key, for errors in its query.
        package var sqlLine: Int?
        package var sqlColumn: Int?
    }

    package struct SourceConfig {
        /// The path template, resolved against the config folder; may hold placeholders.
        package var path: String
        package var format: SourceFormat
        package var options: SourceOptions
    }

    package struct PartitionConfig {
        /// The partition key column in the target.
        package var column: String
        package var granularity: Granularity
        /// The source column (date or timestamp) the key is derived from; `nil` for SQL tables.
        package var from: String?
        package var timeZone: TimeZone
    }
}
