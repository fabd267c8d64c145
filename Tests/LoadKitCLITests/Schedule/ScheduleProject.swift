import Foundation
import Testing

/// ``EventsProject`` with a `schedule:` on `events` (day partitions in UTC unless told).
extension EventsProject {
    /// A project whose `events` table has `schedule: { SCHEDULE }` and the given `notify:` block.
    static func scheduled(_ schedule: String, granularity: String = "day", timezone: String = "UTC",
                          sourcePath: String = "data/{date}.csv", notify: String = "") throws -> EventsProject {
        var definition = Definition()
        definition.granularity = granularity
        definition.timezone = timezone
        definition.sourcePath = sourcePath
        definition.eventsExtra = "    schedule: { \(schedule) }"
        definition.topExtra = notify
        return try EventsProject(definition)
    }

    /// `run --due --json` at `now`; expects exit `status`.
    func due(at now: String, _ more: [String] = [], status: Int32 = 0, environment: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try json(["run", "--due"] + more, status: status,
                 environment: environment.merging(["LOADKIT_NOW": now]) { a, _ in a }, sourceLocation: sourceLocation)
    }

    /// The `(table partition action)` steps of `run --due --dry-run --json` at `now`.
    func duePlan(at now: String, _ more: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let report = try json(["run", "--due", "--dry-run"] + more, environment: ["LOADKIT_NOW": now],
                              sourceLocation: sourceLocation)
        return (report["plan"] as? [[String: Any]] ?? []).map {
            "\($0["table"] ?? "") \($0["partition"] as? String ?? "-") \($0["action"] ?? "")"
        }
    }

    /// The partitions of `events` in the ledger, sorted.
    func loadedDays() throws -> [String] {
        try query("SELECT partition_key FROM _loadkit_ledger WHERE table_name = 'events' ORDER BY partition_key")
            .compactMap { if case .text(let key) = $0.first { return key } else { return nil } }
    }
}
