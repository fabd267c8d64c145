/// One row of `_loadkit_ledger` (SPEC.md §4): a loaded partition (replace) or load id (append).
public struct LedgerEntry: Sendable, Hashable {
    /// The target table.
    public var table: String
    /// The partition key; `nil` for an unpartitioned table or an append of a whole input.
    public var partitionKey: String?
    /// The load id that wrote it (see ``LoadID``).
    public var loadID: String
    /// Replace or append.
    public var writeMode: WriteMode
    /// The fingerprint and row count of the rows this entry covers, as stored.
    public var fingerprint: Fingerprint
    /// The SHA-256 of the (decompressed) source bytes, 64 hex digits; for a SQL transform, of
    /// its SQL text and the fingerprints of the tables it read.
    public var sourceFingerprint: String
    /// The run that wrote it.
    public var runID: String
    /// When it was committed, UTC ISO 8601 (`YYYY-MM-DDTHH:MM:SSZ`).
    public var loadedAt: String
    /// The ``TableDefinition/fingerprint`` the rows were written with (32 hex digits); `nil` for
    /// an entry written before loadkit recorded definitions.
    public var definitionFingerprint: String?
    /// The ``TableDefinition/partitioning`` the rows were written with; `nil` for an
    /// unpartitioned table or an entry written before loadkit recorded definitions.
    public var partitioning: String?
    /// For a SQL transform, the upstream entries it read (``TransformInputs/upstream``).
    public var upstream: String?
    /// The input file's identity for a load of one file (`load --input FILE`).
    public var input: String?

    /// Creates a ledger entry.
    public init(table: String, partitionKey: String?, loadID: String, writeMode: WriteMode,
                fingerprint: Fingerprint, sourceFingerprint: String, runID: String, loadedAt: String,
                definitionFingerprint: String? = nil, partitioning: String? = nil, upstream: String? = nil,
                input: String? = nil) {
        self.definitionFingerprint = definitionFingerprint
        self.partitioning = partitioning
        self.upstream = upstream
        self.input = input
        self.table = table
        self.partitionKey = partitionKey
        self.loadID = loadID
        self.writeMode = writeMode
        self.fingerprint = fingerprint
        self.sourceFingerprint = sourceFingerprint
        self.runID = runID
        self.loadedAt = loadedAt
    }
}
