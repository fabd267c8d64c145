import Foundation

/// One load task: which table, from what, covering which partitions.
public struct LoadRequest: Sendable {
    /// Where the rows come from.
    public enum Input: Sendable {
        /// A CSV or JSON Lines file (`.gz` allowed).
        /// - `identity`: names the input in its load id (for `--input` loads): its canonical
        ///   path relative to the config's folder (``InputIdentity``), so the load id is the
        ///   same on every machine and for every spelling of the same file.
        /// - `displayName`: how errors name the file.
        case file(path: String, format: SourceFormat, options: SourceOptions, identity: String, displayName: String)
        /// A SQL transform: one read-only query over the same database, with `:partition` bound
        /// to the partition key. It runs inside the load's own write transaction, so it reads one
        /// snapshot of its upstream tables; the ledger entry records the SQL and the fingerprints
        /// of the `upstream` tables' entries it read (see ``TransformInputs``).
        case query(sql: String, upstream: [String])
    }

    /// The part of the table the load covers.
    public enum Scope: Sendable {
        /// One partition (`--partition KEY`): a static partition replace, or an append of that
        /// partition's source.
        case partition(Partition)
        /// Whatever the input holds (`--input FILE`): a dynamic partition replace, replacing
        /// exactly the partitions present, or an append of the whole file.
        case dynamic
        /// An unpartitioned table, from its source.
        case wholeTable
    }

    /// The target table.
    public var table: TargetTable
    /// The rows' origin.
    public var input: Input
    /// The partitions covered.
    public var scope: Scope
    /// The run this load belongs to, recorded in the ledger.
    public var runID: String
    /// How long to wait for another process holding the lock of a partition this load covers
    /// (default 60 s).
    public var lockTimeout: Duration
    /// The table's definition as the ledger records it (columns and types, null tokens,
    /// partitioning); by default made from ``table`` and the input's options.
    public var definition: TableDefinition
    /// When `true`, a load whose ledger entry shows it already loaded from the same source and
    /// definition changes nothing and returns ``LoadResult/Status/alreadyLoaded``. Decided
    /// after the load's locks are taken, so a process that waited for another one loading the
    /// same partition sees its commit and does not load it again. The runner sets it unless
    /// `--force`.
    public var skipIfUnchanged: Bool
    /// Forces a write strategy, for tests and benchmarks that compare both; `nil` (the
    /// default) lets the ``Loader`` pick (``WriteStrategy``). `.direct` is a preference: a load
    /// that cannot write directly (an append, a transform, a destination without direct
    /// replace, a partition locked by another run) stages anyway.
    public var strategy: WriteStrategy?
    /// Stops the load from another thread (the runner's `timeout:` timer); `nil` (the default)
    /// when nothing may. The ``Loader`` checks it once per 1,024 rows read, before its commit and
    /// in failpoint sleeps, and throws ``LoadKitError`` `.cancelled` (transient); the open
    /// transaction rolls back, so the target and the ledger stay as they were. A statement
    /// blocked in the database is stopped by ``Destination/interrupt()``, which the caller
    /// registers with the cancellation (``Cancellation/whileRunning(_:onCancel:)``).
    public var cancellation: Cancellation?
    /// Runs inside the load's commit transaction, after the ledger entries are written and
    /// before the `before_commit` failpoint, on the destination's connection: a queued task's
    /// fence (its worker still holds the lease of this attempt, SPEC.md §8). Throwing rolls the
    /// whole load back. `nil` (the default): nothing runs.
    public var beforeCommit: (@Sendable () throws -> Void)?

    /// Creates a request.
    /// - Parameters:
    ///   - table: the target table.
    ///   - input: the rows' origin.
    ///   - scope: the partitions covered.
    ///   - runID: the run recorded in the ledger; a new run id by default.
    ///   - lockTimeout: how long to wait for another process holding a covered partition's lock.
    ///   - definition: `nil` makes it from `table` and the input's options.
    ///   - skipIfUnchanged: see ``skipIfUnchanged``.
    public init(table: TargetTable, input: Input, scope: Scope, runID: String = RunID.make(),
                lockTimeout: Duration = .seconds(60), definition: TableDefinition? = nil,
                skipIfUnchanged: Bool = false) {
        self.table = table
        self.input = input
        self.scope = scope
        self.runID = runID
        self.lockTimeout = lockTimeout
        self.skipIfUnchanged = skipIfUnchanged
        self.strategy = WriteStrategy.fromEnvironment
        if let definition {
            self.definition = definition
        } else if case .file(_, _, let options, _, _) = input {
            self.definition = TableDefinition(table: table, options: options)
        } else {
            self.definition = TableDefinition(table: table, options: nil)
        }
    }

    /// The key of the partition a static load covers, else `nil`.
    public var partitionKey: String? {
        if case .partition(let p) = scope { p.key } else { nil }
    }

    /// The identity of the input file of a dynamic load or an append of one file, else `nil`.
    public var inputIdentity: String? {
        if case .dynamic = scope, case .file(_, _, _, let identity, _) = input { identity } else { nil }
    }

    /// The load id of this task (see ``LoadID``).
    public var loadID: String {
        let mode = table.writeMode
        switch (scope, input) {
        case (.partition(let p), _):
            return LoadID.make(table: table.name, mode: mode, scope: .partition(p.key))
        case (.dynamic, .file(_, _, _, let identity, _)):
            return LoadID.make(table: table.name, mode: mode, scope: .input(identity))
        case (.wholeTable, .file(_, _, _, let identity, _)) where mode == .append:
            return LoadID.make(table: table.name, mode: mode, scope: .input(identity))
        case (.dynamic, .query(let sql, _)):
            return LoadID.make(table: table.name, mode: mode, scope: .input("sql:" + sql))
        case (.wholeTable, _):
            return LoadID.make(table: table.name, mode: mode, scope: .table)
        }
    }
}

/// Run ids: unique per run, for audit only (never for deduplication).
public enum RunID {
    /// `YYYYMMDDTHHMMSSZ-` and 8 random hex digits, for example `20261129T173000Z-3f9a0c1d`.
    public static func make(now: Date = Date()) -> String {
        let seconds = Int64(now.timeIntervalSince1970)
        let stamp = CivilTime.formatUTC(seconds: seconds).filter { $0 != "-" && $0 != ":" }
        let random = UInt32.random(in: 0...UInt32.max)
        let hex = String(random, radix: 16)
        return stamp + "-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
