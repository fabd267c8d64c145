import Foundation
import Synchronization

/// Runs loads: partition replace (static and dynamic), whole-table replace, and staging then
/// atomic append, against any ``Destination``.
///
/// A load takes one of two ``WriteStrategy``s. A replace from a file writes **directly** when
/// the destination offers it (``Destination/beginReplace(_:loadID:)``); a crash at each step leaves:
/// 1. take the locks known before reading (the static partition, or the whole table) —
///    nothing written yet; unless forced, stop as already loaded when the ledger says so;
/// 2. open the destination's replace and write every row, parsing, validating and
///    fingerprinting on this thread while another writes (``StagingPipeline``; an input of
///    up to the writer's ``RowWriter/rowsParsedBeforeWriting`` rows, 1,024 on SQLite, is parsed
///    whole first, then written on this thread); the writing
///    starts each covered partition before its first row — a static one (or the whole table)
///    at once, a dynamic load's when the input first shows it, after this thread has tried
///    that partition's lock without waiting — removing its old rows (SQLite: the first start
///    opens `BEGIN IMMEDIATE`, waiting up to `lock_timeout` for the write lock while parsing goes
///    on into the bounded queue) — nothing visible outside; a bad row or any error rolls it all
///    back;
/// 3. failpoint `after_staging` (every row written, nothing visible); decide the ledger
///    entries (an empty source is refused here, rolled back);
/// 4. upsert the ledger entries; failpoint `before_commit`; commit — the target and ledger are
///    as before, or, once committed, as after: never in between;
/// 5. failpoint `after_commit`; release the locks.
///
/// A dynamic replace that finds one of its partitions locked by another run aborts (nothing
/// was visible) and runs again **staged**, which waits for the locks. Appends, SQL transforms,
/// destinations without direct replace (and a load armed with `after_staging:sleep`, whose
/// sleep must hold only partition locks) are staged too:
/// 1. take the load id's lock — nothing written yet;
/// 2. stream the input into a fresh staging table, parsing and validating every row and
///    computing each partition's fingerprint — only the staging table exists (a leftover is
///    rebuilt by the next run, or dropped by `gc`);
/// 3. failpoint `after_staging`; lock a dynamic load's partitions in key order; decide (an
///    append already loaded with the same content stops here as
///    ``LoadResult/Status/alreadyLoaded``);
/// 4. one transaction: remove the covered partitions (or the earlier rows of this load id),
///    insert the staged rows, upsert the ledger entries; failpoint `before_commit` — the target
///    and ledger are as before, or, once committed, as after: never in between;
/// 5. failpoint `after_commit`; drop the staging table and release the lock.
///
/// Both strategies give the same rows, ledger entries, fingerprints and result counts for the
/// same input.
///
/// ```swift
/// let loader = Loader(destination: try SQLiteDestination(path: "warehouse.db"))
/// let day = try scheme.partition(forKey: "2013-01-05")
/// let result = try loader.load(LoadRequest(table: flights, input: .file(path: "flights-2013-01-05.csv",
///     format: .csv, options: options, identity: "flights-2013-01-05.csv", displayName: "flights-2013-01-05.csv"),
///     scope: .partition(day)))
/// ```
public final class Loader {
    /// Where loads go.
    public let destination: any Destination
    /// Supplies commit times (`loaded_at`); injectable for tests.
    public var now: () -> Date = Date.init

    /// Creates a loader for `destination`.
    public init(destination: any Destination) {
        self.destination = destination
    }

    /// Hooks run once before this loader's next load writes to the destination (the runner's:
    /// an attempt's start record is made durable there, see ``TaskContext/loader``), taken from
    /// whichever thread writes first.
    private let deferredStarts = Mutex<[TaskContext.FirstUse]>([])

    /// Runs `hook` before the next load of this loader writes its first row or commits
    /// anything, not before: a load parses a small input whole first, and a backfill's worker
    /// should not wait for another's write transaction before it has anything to write.
    func beforeNextWrite(_ hook: TaskContext.FirstUse) {
        deferredStarts.withLock { $0.append(hook) }
    }

    /// Drops the hooks ``beforeNextWrite(_:)`` added that no write ran (an attempt that ended
    /// without writing).
    func dropDeferredStarts() {
        deferredStarts.withLock { $0.removeAll() }
    }

    /// Runs the deferred hooks: the load is about to write.
    func willWrite() {
        let hooks = deferredStarts.withLock { hooks in
            defer { hooks.removeAll() }
            return hooks
        }
        for hook in hooks { hook.happen() }
    }

    /// Runs one load.
    ///
    /// - Parameter request: table, input and scope.
    /// - Returns: what happened: loaded, already loaded, or nothing to load.
    /// - Throws: ``LoadKitError`` for bad input (naming file, line, column), a scope that does
    ///   not fit the table, an empty source where rows are required (`.emptySource`), a row of
    ///   another partition (`.outsidePartition`), a schema mismatch, a held lock (`.locked`,
    ///   transient), or an injected failure; a destination error (for SQLite, `SQLiteError`).
    ///   Whatever is thrown, the target and the ledger are unchanged.
    public func load(_ request: LoadRequest) throws -> LoadResult {
        let table = request.table
        try checkScope(request)
        try destination.prepareCatalog()
        try checkPartitioning(request)
        try destination.ensureTable(table)
        let loadID = request.loadID
        let locks = LoadLocks(destination: destination, runID: request.runID, timeout: request.lockTimeout)
        defer { locks.releaseAll() }
        // Locks known before staging: the static partition (or whole table), and an append's
        // load id. A dynamic load's partitions are known once staged; it locks them then.
        switch request.scope {
        case .partition(let p):
            try locks.acquire([LoadLocks.partition(table.name, p.key)])
        case .wholeTable where table.writeMode == .replace:
            try locks.acquire([LoadLocks.wholeTable(table.name)])
        case .dynamic where table.writeMode == .replace && table.partitioning == nil:
            try locks.acquire([LoadLocks.wholeTable(table.name)])
        case .wholeTable, .dynamic:
            break
        }
        if table.writeMode == .append { try locks.acquire(["load \(loadID)"]) }
        var result: LoadResult
        if case .query(let sql, let upstream) = request.input {
            willWrite()
            result = try destination.transaction {
                let inputs = try TransformInputs(sql: sql, partitionKey: request.partitionKey, upstream: upstream,
                                                 destination: destination)
                if request.skipIfUnchanged,
                   let entry = try destination.ledgerEntry(table: table.name, loadID: loadID),
                   let unchanged = unchangedResult(request, entry: entry, source: inputs.sourceFingerprint) {
                    return unchanged
                }
                return try stageAndCommit(request, loadID: loadID, locks: locks, transform: inputs)
            }
        } else {
            if request.skipIfUnchanged, case .file(let path, _, _, _, let name) = request.input,
               let entry = try destination.ledgerEntry(table: table.name, loadID: loadID) {
                // The file is hashed only when there is an entry to compare with.
                let source = try HashingByteSource.fingerprint(ofFile: path, displayName: name)
                if let unchanged = unchangedResult(request, entry: entry, source: source) { return unchanged }
            }
            result = try loadFile(request, loadID: loadID, locks: locks)
        }
        if result.status == .loaded { try Self.reachAfterCommit(request.cancellation) }
        result.loadID = loadID
        return result
    }

    /// Reaches the failpoint `after_commit`. The load is committed by then, so a cancellation
    /// (a timeout, SIGINT) only ends an armed `sleep` early: the load still succeeded.
    static func reachAfterCommit(_ cancellation: Cancellation?) throws {
        do {
            try FailPoint.afterCommit.reach(cancellation: cancellation)
        } catch let error as LoadKitError where error.code == .cancelled {
            // The sleep ended early; nothing to undo, and the commit stands.
        }
    }

    /// The result of a load whose ledger entry was written from the same source and definition
    /// (an entry of an earlier version, without a definition fingerprint, counts as the same),
    /// or `nil` when the load must run.
    func unchangedResult(_ request: LoadRequest, entry: LedgerEntry, source: String) -> LoadResult? {
        guard request.skipIfUnchanged, entry.sourceFingerprint == source,
              entry.definitionFingerprint == nil || entry.definitionFingerprint == request.definition.fingerprint
        else { return nil }
        return LoadResult(status: .alreadyLoaded, table: request.table.name, loadID: entry.loadID, entries: [entry],
                          rowsRead: 0, rowsSkipped: 0, sourceFingerprint: source)
    }

    /// Refuses a load whose table was loaded with another partitioning (column, granularity or
    /// time zone): replacing partitions one by one would leave rows of the old partitions beside
    /// the new ones (a day→month change would keep every row twice).
    func checkPartitioning(_ request: LoadRequest) throws {
        let recorded = try destination.recordedPartitionings(table: request.table.name)
        guard let old = recorded.first(where: { !request.definition.isSamePartitioning(as: $0) }) else { return }
        let change = request.definition.partitioningChange(from: old) ?? "partitioning changed"
        throw LoadKitError(.partitioningChanged,
            "table '\(request.table.name)' was loaded with different partitions (\(change)); loadkit does not split "
            + "or merge loaded partitions, and nothing was changed. Rebuild the table with the new partitioning: "
            + "`loadkit backfill --table \(request.table.name) --from KEY --to KEY --rebuild` (drops the table and its "
            + "ledger entries, then loads the range), or restore the old definition in loadkit.yml")
    }

    /// The columns and types a SQL transform's query returns, for a target whose columns are
    /// not declared: the database's declared type where the column comes straight from a
    /// table, else the type of the first non-NULL value (text when all are NULL).
    /// - Returns: `nil` when the query returns no rows and no declared types.
    /// - Throws: the destination's error for a bad query.
    public func inferSchema(sql: String, partitionKey: String?) throws -> TableSchema? {
        var columns: [(name: String, type: ColumnType?)] = []
        var sawRow = false
        try destination.query(sql, partitionKey: partitionKey, columns: { columns = $0 }, row: { row in
            sawRow = true
            for (i, value) in row.enumerated() where columns[i].type == nil {
                switch value {
                case .integer: columns[i].type = .integer
                case .real: columns[i].type = .real
                case .text: columns[i].type = .text
                case .null: break
                }
            }
        })
        if !sawRow && columns.contains(where: { $0.type == nil }) { return nil }
        return try TableSchema(columns.map { Column($0.name, $0.type ?? .text) })
    }

    // MARK: - Steps

    func checkScope(_ request: LoadRequest) throws {
        let table = request.table
        switch request.scope {
        case .partition(let p):
            guard let partitioning = table.partitioning else {
                throw LoadKitError(.partitionKey, "table '\(table.name)' is not partitioned; load it without a partition")
            }
            guard p.granularity == partitioning.scheme.granularity else {
                throw LoadKitError(.partitionKey,
                    "'\(p.key)' is a \(p.granularity.rawValue) key; table '\(table.name)' has \(partitioning.scheme.granularity.rawValue) partitions")
            }
        case .wholeTable:
            if table.partitioning != nil {
                throw LoadKitError(.partitionKey, "table '\(table.name)' is partitioned: name a partition or an input file")
            }
        case .dynamic:
            break
        }
    }

    /// Whether `request` is written directly: a replace from a file, unless forced to stage or
    /// armed with `after_staging:sleep` (whose sleep holds only partition locks, a moment the
    /// staged strategy has and a direct replace, holding its transaction, does not).
    func prefersDirect(_ request: LoadRequest) -> Bool {
        guard request.table.writeMode == .replace, case .file = request.input else { return false }
        switch request.strategy {
        case .staged: return false
        case .direct: return true
        case nil: return !FailPoint.afterStaging.sleeps
        }
    }

    /// A file load: direct when possible, else (or when a partition is locked by another run)
    /// staged.
    private func loadFile(_ request: LoadRequest, loadID: String, locks: LoadLocks) throws -> LoadResult {
        if prefersDirect(request), let writer = try destination.beginReplace(request.table, loadID: loadID) {
            do {
                return try writeDirectly(request, loadID: loadID, locks: locks, writer: writer)
            } catch is PartitionContention {
                // Rolled back, nothing visible, its tried locks released: stage, then wait for
                // the partitions' locks in key order like any staged dynamic load.
            }
        }
        return try stageAndCommit(request, loadID: loadID, locks: locks, transform: nil)
    }

    /// A partition of a dynamic direct replace whose lock another run holds.
    private struct PartitionContention: Error {
        var key: String
    }

    private func writeDirectly(_ request: LoadRequest, loadID: String, locks: LoadLocks,
                               writer: any PartitionReplaceWriter) throws -> LoadResult {
        // Rolls back unless committed (a no-op after the commit).
        defer { writer.abort() }
        let table = request.table
        let clock = ContinuousClock()
        let started = clock.now
        var tried: Set<String> = []
        let starts: PartitionStarts
        switch request.scope {
        case .partition(let p):
            starts = .atOnce(p.key)
        case .dynamic where table.partitioning != nil:
            // Holding (or waiting for) the write transaction, never wait for a partition lock:
            // its holder may be waiting for this transaction to end.
            starts = .asSeen { key in
                let lock = LoadLocks.partition(table.name, key)
                if locks.holds(lock) { return }
                guard try locks.tryAcquire(lock) else { throw PartitionContention(key: key) }
                tried.insert(lock)
            }
        case .wholeTable, .dynamic:
            starts = .atOnce(nil)
        }
        var staged: Staged
        do {
            staged = try stage(request, loadID: loadID, into: writer, starts: starts)
        } catch let contention as PartitionContention {
            writer.abort()
            locks.release(tried)
            throw contention
        }
        let written = clock.now
        try FailPoint.afterStaging.reach(cancellation: request.cancellation)
        var (result, scope) = try decide(request, loadID: loadID, staged: staged)
        if scope != nil {
            try request.cancellation?.check()
            willWrite()
            try writer.commit(ledger: result.entries) {
                try request.beforeCommit?()
                try FailPoint.beforeCommit.reach(cancellation: request.cancellation)
            }
        }
        result.strategy = .direct
        result.stagingSeconds = (written - started).seconds
        result.commitSeconds = (clock.now - written).seconds
        return result
    }

    private func stageAndCommit(_ request: LoadRequest, loadID: String, locks: LoadLocks,
                                transform: TransformInputs?) throws -> LoadResult {
        let table = request.table
        let stagingName = LoadID.stagingName(for: loadID)
        let staging = try destination.createStaging(stagingName, for: table)
        var staged: Staged
        do {
            let clock = ContinuousClock()
            let started = clock.now
            staged = try stage(request, loadID: loadID, into: staging, starts: .none)
            try staging.finish()
            if let transform {
                staged.fingerprints = try stagedFingerprints(stagingName, table: table)
                staged.sourceFingerprint = transform.sourceFingerprint
                staged.upstream = transform.upstream
            }
            let stagedAt = clock.now
            try FailPoint.afterStaging.reach(cancellation: request.cancellation)
            if case .dynamic = request.scope, table.partitioning != nil, table.writeMode == .replace {
                // The partitions this load replaces, now known: locked in key order, so two
                // dynamic loads never wait for each other in a cycle.
                try locks.acquire(staged.fingerprints.keys.compactMap { $0 }.sorted()
                    .map { LoadLocks.partition(table.name, $0) })
            }
            var (result, scope) = try decide(request, loadID: loadID, staged: staged, stagingName: stagingName)
            if let scope {
                let plan = CommitPlan(table: table, stagingName: stagingName, scope: scope, ledger: result.entries)
                try request.cancellation?.check()
                willWrite()
                try destination.commit(plan) {
                    try request.beforeCommit?()
                    try FailPoint.beforeCommit.reach(cancellation: request.cancellation)
                }
            }
            result.stagingSeconds = (stagedAt - started).seconds
            result.commitSeconds = (clock.now - stagedAt).seconds
            // Committed: a staging table that cannot be dropped now (a cancelled statement, a
            // lost connection) does not fail the load; the next run of this load id rebuilds it,
            // `gc` drops it.
            try? destination.dropStaging(stagingName)
            return result
        } catch {
            // The first error wins; a staging table that cannot be dropped now is rebuilt by the
            // next run of this load id, or removed by `gc`.
            try? destination.dropStaging(stagingName)
            throw error
        }
    }

    struct Staged {
        /// Per partition key (`nil` for unpartitioned), the fingerprint of its staged rows.
        var fingerprints: [String?: Fingerprint] = [:]
        var rowsRead = 0
        var rowsSkipped = 0
        var sourceFingerprint = ""
        var upstream: String?
    }

    /// When a direct replace starts its partitions (``PartitionReplaceWriter/replace(partition:)``),
    /// in order with the rows on the writer thread.
    enum PartitionStarts {
        /// Never: rows go into a staging table.
        case none
        /// Before the first row: a static partition, or the whole table (`nil`).
        case atOnce(String?)
        /// Each partition when the input first shows it, after this is called with its key (a
        /// dynamic load; it throws to stop the load).
        case asSeen((String) throws -> Void)
    }

    /// Writes the input's rows into `writer` (a staging table, or the target for a direct
    /// replace), starting partitions as `starts` says.
    func stage(_ request: LoadRequest, loadID: String, into writer: any RowWriter,
                       starts: PartitionStarts) throws -> Staged {
        switch request.input {
        case .file(let path, let format, let options, _, let displayName):
            let bytes = HashingByteSource(try InputFile.open(path, displayName: displayName))
            let source = try format.open(source: bytes, fileName: displayName, schema: request.table.schema,
                                         options: options)
            var staged = try stageRows(request, loadID: loadID, into: writer, starts: starts,
                                       fileName: displayName, line: { source.line },
                                       next: { try source.next(into: &$0) })
            staged.sourceFingerprint = bytes.hex
            return staged
        case .query(let sql, _):
            guard let staging = writer as? any StagingWriter else {
                throw LoadKitError(.schema, "a transform's rows are always staged")
            }
            return try stageQuery(request, sql: sql, loadID: loadID, into: staging)
        }
    }

    /// Streams rows from a file source: derive each row's partition, check it, write it (on a
    /// second thread, see ``StagingPipeline``).
    private func stageRows(_ request: LoadRequest, loadID: String, into writer: any RowWriter,
                           starts: PartitionStarts, fileName: String, line: () -> Int,
                           next: (inout [Value]) throws -> Bool) throws -> Staged {
        let table = request.table
        var staged = Staged()
        let declared = table.schema.columns.count
        let keyIndex = table.partitioning?.sourceColumn.flatMap { table.schema.index(of: $0) }
        let assigner = table.partitioning.map { PartitionAssigner(scheme: $0.scheme) }
        let requested: String? = if case .partition(let p) = request.scope { p.key } else { nil }
        let width = table.storedColumns.count
        // The source reads each row straight into the stored row's first `declared` slots.
        var stored = [Value](repeating: .null, count: width)
        let pipeline = StagingPipeline(writer: writer, width: stored.count, beforeFirstWrite: { [self] in willWrite() })
        var firstSeen: ((String) throws -> Void)?
        switch starts {
        case .none: break
        case .atOnce(let key): pipeline.startPartition(key)
        case .asSeen(let body): firstSeen = body
        }
        var encoder = RowEncoder()
        var current: (key: String?, fingerprint: Fingerprint)?
        let cancellation = request.cancellation
        do {
            while try next(&stored) {
                // A source of another library may have replaced the array: give back the slots
                // this loader adds.
                if stored.count != width { Self.fit(&stored, to: width) }
                staged.rowsRead += 1
                // One atomic load per 1,024 rows: a cancelled attempt (its `timeout:`) stops
                // here even when no statement is running for `Destination.interrupt()` to stop.
                if staged.rowsRead & 1023 == 0, let cancellation, cancellation.isCancelled {
                    throw Cancellation.error
                }
                var extra = declared
                if let keyIndex, let assigner {
                    guard case .text(let text) = stored[keyIndex], let partition = assigner.partition(ofStored: text) else {
                        throw LoadKitError(.missingPartitionKey,
                            "the partition key is derived from this column and it is empty; every row needs one",
                            at: .init(file: fileName, line: line(), column: table.schema.columns[keyIndex].name))
                    }
                    if let requested, partition.key != requested {
                        if table.outsideRows == .skip {
                            staged.rowsSkipped += 1
                            continue
                        }
                        throw LoadKitError(.outsidePartition,
                            "this row belongs to partition \(partition.key), not \(requested); "
                                + "fix the source or set outside_rows: skip to drop such rows",
                            at: .init(file: fileName, line: line(), column: table.schema.columns[keyIndex].name))
                    }
                    stored[extra] = .text(partition.key)
                    extra += 1
                }
                if table.writeMode == .append { stored[extra] = .text(loadID) }
                let key = keyIndex == nil ? nil : stored[declared].textValue
                if current == nil || current!.key != key {
                    if let current { staged.fingerprints[current.key] = current.fingerprint }
                    if let firstSeen, let key, staged.fingerprints[key] == nil {
                        // The input shows this partition for the first time: start replacing it
                        // before its first row.
                        try firstSeen(key)
                        pipeline.startPartition(key)
                    }
                    current = (key, staged.fingerprints[key] ?? Fingerprint())
                }
                try pipeline.add(stored)
                // Fingerprinted here, per partition key, while the other thread inserts.
                encoder.reset()
                encoder.append(stored)
                current!.fingerprint.add(digestOf: encoder.bytes)
            }
        } catch {
            pipeline.abandon()
            throw error
        }
        if let current { staged.fingerprints[current.key] = current.fingerprint }
        try pipeline.finish()
        return staged
    }

    /// Makes `row` exactly `width` values long (NULLs added, extra ones dropped).
    private static func fit(_ row: inout [Value], to width: Int) {
        if row.count < width {
            row.append(contentsOf: repeatElement(.null, count: width - row.count))
        } else {
            row.removeLast(row.count - width)
        }
    }

    /// Streams a transform's query rows into staging, mapping columns by name.
    private func stageQuery(_ request: LoadRequest, sql: String, loadID: String,
                            into staging: any StagingWriter) throws -> Staged {
        let table = request.table
        var staged = Staged()
        var mapping: [Int] = []
        var stored = [Value](repeating: .null, count: table.storedColumns.count)
        let keyIndex = table.partitioning.flatMap { table.schema.index(of: $0.column) }
        let requested: String? = if case .partition(let p) = request.scope { p.key } else { nil }
        let partitionKey = requested
        try destination.query(sql, partitionKey: partitionKey, columns: { columns in
            let names = columns.map(\.name)
            mapping = try table.schema.columns.map { column in
                guard let i = names.firstIndex(of: column.name) else {
                    throw LoadKitError(.missingColumn, "the query of '\(table.name)' returns no column '\(column.name)'; "
                        + "it returns: " + names.joined(separator: ", "))
                }
                return i
            }
            if let extra = names.first(where: { table.schema.index(of: $0) == nil }) {
                throw LoadKitError(.unknownColumn, "the query of '\(table.name)' returns column '\(extra)', which is not declared")
            }
        }, row: { row in
            staged.rowsRead += 1
            if staged.rowsRead & 1023 == 0 { try request.cancellation?.check() }
            for (i, source) in mapping.enumerated() { stored[i] = row[source] }
            if let keyIndex {
                guard case .text(let key) = stored[keyIndex] else {
                    throw LoadKitError(.missingPartitionKey,
                        "the query of '\(table.name)' returned a row whose partition key column is not text: \(stored[keyIndex])")
                }
                if let requested, key != requested {
                    if table.outsideRows == .skip { staged.rowsSkipped += 1; return }
                    throw LoadKitError(.outsidePartition,
                        "the query of '\(table.name)' returned a row of partition \(key), not \(requested)")
                }
            }
            if table.writeMode == .append { stored[table.schema.columns.count] = .text(loadID) }
            try stored.withUnsafeBufferPointer { try staging.insert($0) }
        })
        return staged
    }

    private func stagedFingerprints(_ stagingName: String, table: TargetTable,
                                    version: Fingerprint.Version = .current) throws -> [String?: Fingerprint] {
        guard let destination = destination as? any StagingFingerprinting else {
            throw LoadKitError(.schema, "this destination cannot fingerprint staging tables")
        }
        return try destination.fingerprints(ofStaging: stagingName, table: table, version: version)
    }

    /// What a load whose rows are written commits: its result (status, counts, ledger entries)
    /// and what it removes from the target, or no scope when there is nothing to commit
    /// (already loaded, nothing to load).
    /// - Parameter stagingName: the staging table, for an append (whose rows are compared with
    ///   an older ledger entry in that entry's fingerprint version); `nil` for a direct write.
    /// - Throws: `.emptySource` for an empty source where rows are required.
    func decide(_ request: LoadRequest, loadID: String, staged: Staged, stagingName: String? = nil) throws
        -> (result: LoadResult, scope: CommitPlan.Scope?) {
        let table = request.table
        let loadedAt = CivilTime.formatUTC(seconds: Int64(now().timeIntervalSince1970))
        var result = LoadResult(status: .loaded, table: table.name, loadID: loadID, entries: [],
                                rowsRead: staged.rowsRead, rowsSkipped: staged.rowsSkipped,
                                sourceFingerprint: staged.sourceFingerprint)
        func entry(_ key: String?, _ id: String, _ fingerprint: Fingerprint) -> LedgerEntry {
            LedgerEntry(table: table.name, partitionKey: key, loadID: id, writeMode: table.writeMode,
                        fingerprint: fingerprint, sourceFingerprint: staged.sourceFingerprint,
                        runID: request.runID, loadedAt: loadedAt,
                        definitionFingerprint: request.definition.fingerprint,
                        partitioning: request.definition.partitioning, upstream: staged.upstream,
                        input: request.inputIdentity)
        }
        let scope: CommitPlan.Scope
        switch (table.writeMode, request.scope) {
        case (.replace, .partition(let p)):
            let fingerprint = staged.fingerprints[p.key] ?? Fingerprint()
            if fingerprint.rows == 0 && !table.allowEmpty {
                throw LoadKitError(.emptySource, "the source has no rows for partition \(p.key); "
                    + "the partition is kept as it was (set allow_empty: true to empty it)")
            }
            scope = .partitions([p.key])
            result.entries = [entry(p.key, loadID, fingerprint)]
        case (.replace, .dynamic):
            let keys = staged.fingerprints.keys.compactMap { $0 }.sorted()
            if table.partitioning == nil {
                let fingerprint = staged.fingerprints[nil] ?? Fingerprint()
                if fingerprint.rows == 0 && !table.allowEmpty {
                    throw LoadKitError(.emptySource, "the input has no rows; table '\(table.name)' is kept as it was "
                        + "(set allow_empty: true to empty it)")
                }
                scope = .wholeTable
                result.entries = [entry(nil, LoadID.make(table: table.name, mode: .replace, scope: .table), fingerprint)]
            } else {
                if keys.isEmpty {
                    result.status = .nothingToLoad
                    return (result, nil)
                }
                scope = .partitions(keys)
                result.entries = keys.map {
                    entry($0, LoadID.make(table: table.name, mode: .replace, scope: .partition($0)),
                          staged.fingerprints[$0]!)
                }
            }
        case (.replace, .wholeTable):
            let fingerprint = staged.fingerprints[nil] ?? Fingerprint()
            if fingerprint.rows == 0 && !table.allowEmpty {
                throw LoadKitError(.emptySource, "the source has no rows; table '\(table.name)' is kept as it was "
                    + "(set allow_empty: true to empty it)")
            }
            scope = .wholeTable
            result.entries = [entry(nil, loadID, fingerprint)]
        case (.append, _):
            let fingerprint = staged.fingerprints.values.reduce(Fingerprint()) { $0.combined(with: $1) }
            let key: String? = if case .partition(let p) = request.scope { p.key } else { nil }
            if let existing = try destination.ledgerEntry(table: table.name, loadID: loadID) {
                // Like with like: an entry of an older fingerprint version is compared with the
                // staged rows fingerprinted in its version (the new entry is written in the
                // current one).
                let comparable: Fingerprint
                if existing.fingerprint.version == fingerprint.version || existing.fingerprint.isEmpty {
                    comparable = fingerprint
                } else {
                    guard let stagingName else {
                        throw LoadKitError(.schema, "an append is compared with an older ledger entry through its staging table")
                    }
                    comparable = try stagedFingerprints(stagingName, table: table, version: existing.fingerprint.version)
                        .values.reduce(Fingerprint(version: existing.fingerprint.version)) { $0.combined(with: $1) }
                }
                if existing.fingerprint == comparable {
                    result.status = .alreadyLoaded
                    result.entries = [existing]
                    return (result, nil)
                }
                scope = .loadID(loadID)
            } else {
                if fingerprint.rows == 0 {
                    result.status = .nothingToLoad
                    return (result, nil)
                }
                scope = .nothing
            }
            result.entries = [entry(key, loadID, fingerprint)]
        }
        return (result, scope)
    }

}

/// A destination that can fingerprint a staging table by partition (needed for transforms,
/// whose values take the column types the database gives them, and to compare an append with
/// a ledger entry of an older fingerprint version).
public protocol StagingFingerprinting {
    /// Per partition key (`nil` for an unpartitioned table), the fingerprint of the staged
    /// rows in `version`.
    func fingerprints(ofStaging name: String, table: TargetTable,
                      version: Fingerprint.Version) throws -> [String?: Fingerprint]
}
