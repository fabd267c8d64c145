import Foundation

/// Where a table's input files are, per partition.
public struct SourceTemplate: Sendable {
    /// The path, with `{date} {year} {month} {day} {hour} {key}` placeholders for a partitioned
    /// table (see ``Partition/fill(_:)``).
    public var path: String
    /// CSV or JSON Lines.
    public var format: SourceFormat
    /// Null tokens, extra columns, time zone, dialect.
    public var options: SourceOptions
    /// Paths inside this folder are named relative to it in load ids, so a load id is the same
    /// on every machine; usually the config file's folder.
    public var baseDirectory: String

    /// Creates a template.
    public init(path: String, format: SourceFormat? = nil, options: SourceOptions = SourceOptions(),
                baseDirectory: String = "") {
        self.path = path
        self.format = format ?? SourceFormat.inferred(fromPath: path)
        self.options = options
        self.baseDirectory = baseDirectory
    }

    /// The input of one load: the template filled for `partition` (or as it is).
    public func input(for partition: Partition?) -> (path: String, input: LoadRequest.Input) {
        let path = partition.map { $0.fill(self.path) } ?? self.path
        let identity = InputIdentity.identity(of: path, baseDirectory: baseDirectory)
        return (path, .file(path: path, format: format, options: options, identity: identity,
                            displayName: InputIdentity.displayName(of: path)))
    }

    /// The first two of `partitions` whose inputs would be the same file although the path
    /// names hours: a template with `{hour}` but not `{key}` in a zone with daylight saving
    /// fills the two 01:00 hours of a fall-back day (`2024-11-03T01:00-04:00` and
    /// `2024-11-03T01:00-05:00`) to one path, so both loads would read the rows of both hours.
    /// `nil` when every partition has its own file, or when the template does not name hours
    /// (`data/{date}.csv` on an hour table is one file per day on purpose: each hour's load
    /// keeps its own rows, see `outside_rows`).
    ///
    /// ```swift
    /// let template = SourceTemplate(path: "data/{date}-{hour}.csv")
    /// template.sharedInput(among: fallBackDayHours)?.path   // "data/2024-11-03-01.csv"
    /// ```
    /// - Parameter partitions: the partitions of one run, in any order.
    /// - Returns: the two partitions, oldest first, and the path they share.
    public func sharedInput(among partitions: [Partition]) -> (first: Partition, second: Partition, path: String)? {
        guard path.contains("{hour}"), !path.contains("{key}") else { return nil }
        var seen: [String: Partition] = [:]
        for partition in partitions.sorted() {
            let filled = partition.fill(path)
            if let earlier = seen[filled] { return (earlier, partition, filled) }
            seen[filled] = partition
        }
        return nil
    }

    /// The input of a load of one named file (`load --input FILE`): its format from its
    /// extension, this template's options, its identity canonical (``InputIdentity``).
    public func input(file path: String) -> LoadRequest.Input {
        let identity = InputIdentity.identity(of: path, baseDirectory: baseDirectory)
        return .file(path: path, format: SourceFormat.inferred(fromPath: path), options: options,
                     identity: identity, displayName: InputIdentity.displayName(of: path))
    }
}

extension RunTask {
    /// The task that loads `table` from its source files: one load per partition (static
    /// partition replace or append), or one whole-table load for an unpartitioned table.
    ///
    /// Unless the run forces it, a partition whose ledger entry has the same source fingerprint
    /// (SHA-256 of the file) is skipped: already loaded from an unchanged source. A missing
    /// source file fails the item (not retried).
    /// - Parameters:
    ///   - table: the target.
    ///   - source: where the files are.
    ///   - dependsOn: upstream tasks.
    ///   - retry: the retry policy.
    ///   - lockTimeout: how long a load waits for another run loading the same partition.
    ///   - timeout: how long one attempt may run before it is cancelled (``RunTask/timeout``);
    ///     `nil`: no limit.
    ///   - batch: up to this many consecutive partitions per transaction (``RunTask/batch``,
    ///     ``Loader/loadBatch(_:)``); only a partitioned replace table batches.
    public static func load(_ table: TargetTable, source: SourceTemplate, dependsOn: [String] = [],
                            retry: RetryPolicy = RetryPolicy(), lockTimeout: Duration = .seconds(60),
                            timeout: Duration? = nil, batch: Int = 1) -> RunTask {
        @Sendable func request(_ context: TaskContext) throws -> LoadRequest {
            let path: String
            let input: LoadRequest.Input
            let scope: LoadRequest.Scope
            if let file = context.input {
                // One named file (`load --input`, or its rerun): a dynamic load or an append of it.
                (path, input, scope) = (file, source.input(file: file), .dynamic)
            } else {
                (path, input) = source.input(for: context.partition)
                scope = context.partition.map { .partition($0) } ?? .wholeTable
            }
            guard FileManager.default.fileExists(atPath: path) else {
                throw LoadKitError(.missingSource, "source file not found: \(InputIdentity.displayName(of: path))")
            }
            var request = LoadRequest(table: table, input: input, scope: scope, runID: context.runID,
                                      lockTimeout: lockTimeout, skipIfUnchanged: !context.force && context.input == nil)
            request.cancellation = context.cancellation
            request.beforeCommit = context.commitGuard
            return request
        }
        @Sendable func outcome(_ result: LoadResult) -> Outcome {
            switch result.status {
            case .loaded: return .done(rows: result.rowsWritten)
            case .alreadyLoaded:
                // Found unchanged under the lock before staging, or (an append) staged and found
                // to hold the rows its load id already appended.
                guard result.stagingSeconds == 0 && result.rowsRead == 0 else {
                    return .skipped(reason: "already loaded with the same content")
                }
                return .skipped(reason: table.writeMode == .append
                    ? "already appended from an unchanged source" : "already loaded from an unchanged source")
            case .nothingToLoad: return .skipped(reason: "the source has no rows")
            }
        }
        var task = RunTask(name: table.name, dependsOn: dependsOn, partitioned: table.partitioning != nil,
                           retry: retry) { context in
            let result = try context.loader.load(try request(context))
            context.report(result)
            return outcome(result)
        }
        task.timeout = timeout
        if table.partitioning != nil && table.writeMode == .replace {
            task.batch = max(1, batch)
            task.batchAction = { contexts in
                guard let first = contexts.first else { return [] }
                let results = try first.loader.loadBatch(try contexts.map(request))
                for (context, result) in zip(contexts, results) { context.report(result) }
                return results.map(outcome)
            }
        }
        return task
    }

    /// The task that fills `table` from a SQL query over the same database, once per partition
    /// (`:partition` bound to the key) or once per run.
    ///
    /// The query runs inside the load's own transaction; its source fingerprint
    /// (``TransformInputs``) is read there too: unless forced, it is skipped while neither its
    /// SQL nor its upstream partitions changed.
    /// - Parameters:
    ///   - name: the task's and the target table's name.
    ///   - sql: the query.
    ///   - schema: the target's columns; `nil` takes them from the existing table, else the
    ///     query's own columns and types.
    ///   - partitioning: how it is partitioned (the query returns the key column).
    ///   - writeMode: replace (the partition, or the whole table) or append.
    ///   - allowEmpty: `true` lets a query without rows empty the partition; by default it
    ///     fails and the partition is kept.
    ///   - dependsOn: the upstream tasks, run first for the same partition.
    ///   - retry: the retry policy for transient errors.
    ///   - lockTimeout: how long to wait for another load holding the partition's lock.
    ///   - timeout: how long one attempt may run before it is cancelled (``RunTask/timeout``);
    ///     `nil`: no limit.
    public static func transform(name: String, sql: String, schema: TableSchema?,
                                 partitioning: TargetTable.Partitioning?, writeMode: WriteMode = .replace,
                                 allowEmpty: Bool = false, dependsOn: [String] = [],
                                 retry: RetryPolicy = RetryPolicy(), lockTimeout: Duration = .seconds(60),
                                 timeout: Duration? = nil) -> RunTask {
        var task = RunTask(name: name, dependsOn: dependsOn, partitioned: partitioning != nil, retry: retry) { context in
            let key = context.partition?.key
            // Declared columns, else those of the existing table, else the query's own types.
            let existing = try context.destination.existingColumns(of: name)
                .filter { $0.name != TargetTable.loadIDColumn }.map { column in
                Column(column.name, ColumnType.allCases.first { $0.sqlType == column.sqlType } ?? .text)
            }
            let known = try schema ?? (existing.isEmpty ? nil : TableSchema(existing))
            guard let resolved = try known ?? context.loader.inferSchema(sql: sql, partitionKey: key) else {
                if allowEmpty { return .skipped(reason: "the query returns no rows") }
                throw LoadKitError(.emptySource, "the query of '\(name)' returns no rows"
                    + (key.map { " for partition \($0)" } ?? "") + "; nothing is replaced (set allow_empty: true to allow it)")
            }
            let table = try TargetTable(name: name, schema: resolved, partitioning: partitioning, writeMode: writeMode,
                                        allowEmpty: allowEmpty)
            var request = LoadRequest(table: table, input: .query(sql: sql, upstream: dependsOn),
                                      scope: context.partition.map { .partition($0) } ?? .wholeTable,
                                      runID: context.runID, lockTimeout: lockTimeout,
                                      definition: TableDefinition(columns: schema?.columns, options: nil,
                                                                  partitioning: partitioning, writeMode: writeMode),
                                      skipIfUnchanged: !context.force)
            request.cancellation = context.cancellation
            request.beforeCommit = context.commitGuard
            let result = try context.loader.load(request)
            context.report(result)
            switch result.status {
            case .loaded: return .done(rows: result.rowsWritten)
            case .alreadyLoaded: return .skipped(reason: "already loaded; its upstream partitions are unchanged")
            case .nothingToLoad: return .skipped(reason: "the query returns no rows")
            }
        }
        task.timeout = timeout
        return task
    }
}

extension LoadKitError.Code {
    /// A partition's source file does not exist.
    public static let missingSource = LoadKitError.Code("source.missing")
}
