/// What a load did.
public struct LoadResult: Sendable {
    /// The outcome.
    public enum Status: String, Sendable {
        /// Rows were committed.
        case loaded
        /// An append whose load id was already loaded with the same content: nothing changed.
        case alreadyLoaded = "already_loaded"
        /// A dynamic load or append whose input has no rows: nothing changed.
        case nothingToLoad = "nothing_to_load"
    }

    /// The outcome.
    public var status: Status
    /// The target table.
    public var table: String
    /// The task's load id.
    public var loadID: String
    /// The ledger entries the load wrote (or, when already loaded, found).
    public var entries: [LedgerEntry]
    /// Rows read from the input.
    public var rowsRead: Int
    /// Rows dropped because they belong to another partition (`outside_rows: skip`).
    public var rowsSkipped: Int
    /// The SHA-256 of the input (see ``LedgerEntry/sourceFingerprint``).
    public var sourceFingerprint: String
    /// How the rows were written: ``WriteStrategy/direct`` or ``WriteStrategy/staged`` (also
    /// for a load that found nothing to do before writing).
    public var strategy: WriteStrategy = .staged
    /// Wall time of the staging step (read, parse, validate, stage), in seconds; for a direct
    /// replace, of reading and writing every row into the open transaction.
    public var stagingSeconds: Double = 0
    /// Wall time of the final transaction (remove, insert, ledger, commit), in seconds; for a
    /// direct replace, of the ledger upsert and the commit.
    public var commitSeconds: Double = 0

    /// Rows written into the target.
    public var rowsWritten: Int {
        status == .loaded ? entries.reduce(0) { $0 + $1.fingerprint.rows } : 0
    }
}
