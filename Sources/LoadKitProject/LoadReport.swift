import LoadKit

/// What one load did: the value `loadkit load --json` prints.
///
/// JSON: `{"table", "status", "loadID", "rowsRead", "rowsSkipped", "rowsWritten",
/// "partitions": [{"partition", "rows", "fingerprint"}], "sourceFingerprint", "strategy",
/// "seconds": {"staging", "commit"}}`.
public struct LoadReport: Codable, Sendable, Equatable {
    /// The table loaded.
    public var table: String
    /// `loaded`, `already_loaded` (an append seen before with the same content) or
    /// `nothing_to_load` (an input without rows).
    public var status: String
    /// The load's deterministic id (SPEC.md §5).
    public var loadID: String
    /// Rows read from the input, in rows.
    public var rowsRead: Int
    /// Rows of other partitions skipped (`outside_rows: skip`), in rows.
    public var rowsSkipped: Int
    /// Rows committed, in rows.
    public var rowsWritten: Int
    /// The partitions the load wrote, each with its rows and fingerprint.
    public var partitions: [Partition]
    /// SHA-256 of the input's bytes (for a transform: of its SQL and upstream fingerprints).
    public var sourceFingerprint: String
    /// How the rows were written: `direct` (once, straight into the target) or `staged`
    /// (into a staging table first); see ``LoadKit/WriteStrategy``.
    public var strategy: String
    /// Time spent, in seconds.
    public var seconds: Seconds

    /// One partition the load wrote.
    public struct Partition: Codable, Sendable, Equatable {
        /// The partition key; `nil` for an unpartitioned table.
        public var partition: String?
        /// Rows the partition holds after the load.
        public var rows: Int
        /// Its fingerprint (SPEC.md §4).
        public var fingerprint: String
    }

    /// Time spent staging and committing, in seconds.
    public struct Seconds: Codable, Sendable, Equatable {
        /// Reading, validating and writing the rows (into the staging table, or, written
        /// directly, into the open transaction).
        public var staging: Double
        /// The final transaction (staged: remove, insert the staged rows, ledger, commit;
        /// direct: ledger and commit).
        public var commit: Double
    }

    /// The report of `result`.
    public init(_ result: LoadResult) {
        table = result.table
        status = result.status.rawValue
        loadID = result.loadID
        rowsRead = result.rowsRead
        rowsSkipped = result.rowsSkipped
        rowsWritten = result.rowsWritten
        partitions = result.entries.map {
            Partition(partition: $0.partitionKey, rows: $0.fingerprint.rows, fingerprint: $0.fingerprint.hex)
        }
        sourceFingerprint = result.sourceFingerprint
        strategy = result.strategy.rawValue
        seconds = Seconds(staging: result.stagingSeconds, commit: result.commitSeconds)
    }
}
