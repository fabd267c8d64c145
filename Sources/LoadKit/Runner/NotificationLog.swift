/// Which notifications were sent, so a `late` hook runs once per partition (SPEC.md §9), however
/// many `run --due` calls see the partition late. Kept in the warehouse beside the run log; a
/// destination implements it with its own table.
public protocol NotificationLog: AnyObject {
    /// The partition keys of `table` already notified for `event` (`late`).
    func notifiedPartitions(table: String, event: String) throws -> Set<String>
    /// Records that `event` was notified for these partitions of `table` by run `runID` (empty
    /// when the call ran nothing) at `at` (UTC ISO 8601); already recorded ones are kept.
    func recordNotified(table: String, partitions: [String], event: String, runID: String, at: String) throws
}
