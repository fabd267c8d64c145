import Foundation

/// One load task: which table, from what, covering which partitions.
public struct LoadRequest: Sendable {
    /// Where the rows come from.
    public enum Input: Sendable {
        /// A CSV or JSON Lines file (`.gz` allowed).
        /// - `identity`: names the input in its load id (for `--input` loads): the path as the
        ///   user gave it, so the load id is the same on every machine.
        /// - `displayName`: how errors name the file.
        case file(path: String, format: SourceFormat, options: SourceOptions, identity: String, displayName: String)
        /// A SQL query over the same database, with `:partition` bound to the partition key.
        /// `sourceFingerprint` is recorded in the ledger (the runner passes one made from the SQL
        /// and the upstream partitions' fingerprints); `nil` makes one from the SQL and the key.
        case query(sql: String, sourceFingerprint: String?)
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
    /// How long to wait for another process loading the same load id (default 60 s).
    public var lockTimeout: Duration

    /// Creates a request.
    public init(table: TargetTable, input: Input, scope: Scope, runID: String = RunID.make(),
                lockTimeout: Duration = .seconds(60)) {
        self.table = table
        self.input = input
        self.scope = scope
        self.runID = runID
        self.lockTimeout = lockTimeout
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
