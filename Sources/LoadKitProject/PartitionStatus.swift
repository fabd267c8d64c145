/// The state of a partition (SPEC.md §3 `status`).
public enum PartitionState: String, Codable, Sendable {
    /// Loaded from the source and definition as they are now.
    case loaded
    /// The latest attempt failed (the partition may still hold an earlier load: see
    /// ``PartitionStatus/kept``).
    case failed
    /// Never loaded.
    case missing
    /// Loaded, but its source or its table's definition changed since (see
    /// ``PartitionStatus/reason``); a plain backfill reloads it.
    case stale
    /// An attempt of a live run is loading it now (for a queued run: a worker holds its lease).
    case running
    /// On the warehouse's queue (SPEC.md §8): waiting for a worker, its upstream tasks or its
    /// retry time, or taken from a worker whose lease expired.
    case queued
    /// Scheduled and due, but its source file is not there yet, and its `expected_by` has not
    /// passed (SPEC.md §9); `run --due` does not attempt it.
    case waiting
    /// Scheduled, not loaded, and its `expected_by` has passed.
    case late
}

/// One partition's state, as `loadkit status --json` prints it:
/// `{"partition", "state", "rows", "loadedAt", "error"}`, plus `"reason"` for a stale
/// partition and `"kept"` for a failed one.
public struct PartitionStatus: Codable, Sendable, Equatable {
    /// The partition key.
    public var partition: String
    /// Its state.
    public var state: PartitionState
    /// Rows the partition holds now (for a failed one: of the earlier load it kept; `nil` when
    /// it holds nothing).
    public var rows: Int?
    /// When the rows it holds were committed (UTC ISO 8601), if it holds any.
    public var loadedAt: String?
    /// The latest attempt's error, for a failed partition.
    public var error: String?
    /// Why it is stale (`source changed`, `source file is gone`, `definition changed`), or what a
    /// waiting or late partition waits for (`source file not found yet: data/2024-01-03.csv`).
    public var reason: String?
    /// For a failed partition: whether it still holds the rows of an earlier load.
    public var kept: Bool?

    package init(partition: String, state: PartitionState, rows: Int? = nil, loadedAt: String? = nil,
                 error: String? = nil, reason: String? = nil, kept: Bool? = nil) {
        self.partition = partition; self.state = state; self.rows = rows; self.loadedAt = loadedAt
        self.error = error; self.reason = reason; self.kept = kept
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(partition, forKey: .partition); try c.encode(state, forKey: .state)
        try c.encode(rows, forKey: .rows); try c.encode(loadedAt, forKey: .loadedAt); try c.encode(error, forKey: .error)
        try c.encodeIfPresent(reason, forKey: .reason); try c.encodeIfPresent(kept, forKey: .kept)
    }
    enum CodingKeys: String, CodingKey { case partition, state, rows, loadedAt, error, reason, kept }
}
