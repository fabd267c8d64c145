import Foundation

/// The JSON document a notification hook reads on stdin: schema `loadkit.run/1` (SPEC.md §9).
///
/// ```json
/// {"schema": "loadkit.run/1", "event": "failure", "runId": "…", "command": "loadkit run --due",
///  "host": "etl-1", "warehouse": "warehouse.db", "startedAt": "2024-01-04T06:00:01Z",
///  "finishedAt": "2024-01-04T06:00:02Z", "status": "failed", "counts": {"success": 1, "failed": 1},
///  "failures": [{"table": "events", "partition": "2024-01-02", "attempt": 3, "error": "…"}],
///  "late": [{"table": "events", "partition": "2024-01-03"}],
///  "rerun": "loadkit rerun RUN_ID --config /etc/loadkit/loadkit.yml"}
/// ```
///
/// `event` is `failure`, `success`, `recovery` or `late`; `runId`, `startedAt`, `finishedAt` and
/// `status` are null for a `late` event of a call that ran nothing; `rerun` is null when nothing
/// failed. Times are UTC ISO 8601. Keys are never removed or renamed within `loadkit.run/1`;
/// new keys may be added.
public struct RunNotification: Encodable, Sendable, Equatable {
    /// One failed (or upstream-failed) item.
    public struct Failure: Encodable, Sendable, Equatable {
        /// The table.
        public var table: String
        /// The partition key; null for an unpartitioned table.
        public var partition: String?
        /// The last attempt's number (1 for the first; 0 for an upstream failure, never attempted).
        public var attempt: Int
        /// The error's full message (file, line, column).
        public var error: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
            try c.encode(attempt, forKey: .attempt); try c.encode(error, forKey: .error)
        }
        enum CodingKeys: String, CodingKey { case table, partition, attempt, error }
    }

    /// A partition that became late.
    public struct Late: Encodable, Sendable, Equatable {
        /// The table.
        public var table: String
        /// The partition key.
        public var partition: String
        /// Creates one.
        public init(table: String, partition: String) { self.table = table; self.partition = partition }
    }

    /// The payload's schema, `loadkit.run/1`.
    public static let schema = "loadkit.run/1"

    /// `failure`, `success`, `recovery` or `late`.
    public var event: String
    /// The run's id; `nil` when the call ran nothing.
    public var runId: String?
    /// The command line that ran (`loadkit run --due`).
    public var command: String
    /// The host it ran on.
    public var host: String
    /// The warehouse, as configured (a password masked).
    public var warehouse: String
    /// When the run started and ended (UTC ISO 8601).
    public var startedAt: String?
    public var finishedAt: String?
    /// `success`, `failed` or `interrupted`; `nil` when the call ran nothing.
    public var status: String?
    /// Items per final status.
    public var counts: [String: Int]
    /// The failed and upstream-failed items.
    public var failures: [Failure]
    /// The partitions this notification reports late.
    public var late: [Late]
    /// The command that re-runs what failed, or `nil`.
    public var rerun: String?

    /// The payload of a finished run.
    /// - Parameters:
    ///   - event: `failure`, `success`, `recovery` (or `late`).
    ///   - summary: the run; an empty `runID` means nothing ran.
    ///   - command: the command line, as the user would type it.
    ///   - rerun: the command that re-runs the failures (used only when there are some).
    public init(event: String, summary: RunSummary, command: String, host: String, warehouse: String,
                startedAt: String?, finishedAt: String?, late: [Late] = [], rerun: String?) {
        self.event = event
        runId = summary.runID.isEmpty ? nil : summary.runID
        self.command = command
        self.host = host
        self.warehouse = warehouse
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        status = summary.runID.isEmpty ? nil : summary.status.rawValue
        counts = Dictionary(grouping: summary.items, by: { $0.status.rawValue }).mapValues(\.count)
        failures = summary.items.filter { $0.status == .failed || $0.status == .upstreamFailed }
            .sorted { ($0.task, $0.partitionKey ?? "") < ($1.task, $1.partitionKey ?? "") }
            .map { Failure(table: $0.task, partition: $0.partitionKey, attempt: $0.attempts, error: $0.message) }
        self.late = late
        self.rerun = failures.isEmpty ? nil : rerun
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schema, forKey: .schema); try c.encode(event, forKey: .event)
        try c.encode(runId, forKey: .runId); try c.encode(command, forKey: .command)
        try c.encode(host, forKey: .host); try c.encode(warehouse, forKey: .warehouse)
        try c.encode(startedAt, forKey: .startedAt); try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(status, forKey: .status); try c.encode(counts, forKey: .counts)
        try c.encode(failures, forKey: .failures); try c.encode(late, forKey: .late)
        try c.encode(rerun, forKey: .rerun)
    }
    enum CodingKeys: String, CodingKey {
        case schema, event, runId, command, host, warehouse, startedAt, finishedAt, status, counts, failures, late, rerun
    }
}
