import Foundation
import LoadKit

extension LoadKitConfig {
    /// A table's `schedule:` (SPEC.md §9): which partitions `loadkit run --due` loads, and
    /// when a partition not loaded yet counts as `waiting` or `late`.
    ///
    /// A partition is *due* once its data interval `[start, end)` ended `delay` before now; it
    /// is *late* once `end + expectedBy` has passed and it is still not loaded.
    package struct ScheduleConfig: Equatable {
        /// The first partition that should exist: a key of the table's granularity or of a
        /// coarser one (a day on an hour table means its first hour).
        package var start: String
        /// How long after its interval ends a partition is due (default 0).
        package var delay: Duration = .zero
        /// How many of the newest loaded partitions are also re-checked for a changed source
        /// (late data) on each call (default 0).
        package var lookback = 0
        /// At most this many not-loaded partitions per table per call, oldest first; `nil`
        /// means no limit.
        package var catchUp: Int?
        /// How long after its interval ends a partition not loaded is `late`; `nil` means never.
        package var expectedBy: Duration?
    }

    /// The keys of `schedule:`.
    package static let scheduleKeys = ["start", "delay", "lookback", "catch_up", "expected_by"]

    /// Parses a table's `schedule:` mapping.
    /// - Parameter scheme: the table's partitions; `nil` for an unpartitioned table, which
    ///   cannot have a schedule.
    /// - Throws: ``ConfigError`` naming the key (exit 64).
    static func schedule(_ node: YAMLNode, scheme: PartitionScheme?) throws -> ScheduleConfig {
        guard let scheme else {
            throw node.error("a schedule needs a partitioned table (schedule.start names its first partition); "
                + "this table has no 'partition'")
        }
        var start: String?
        var schedule = ScheduleConfig(start: "")
        for (key, value) in try node.mapping(allowed: scheduleKeys) {
            switch key {
            case "start":
                let text = try value.nonEmptyString()
                do {
                    _ = try BackfillRange.firstPartition(scheme, forKey: text)
                } catch let error as LoadKitError {
                    throw value.error(error.message)
                }
                start = text
            case "delay": schedule.delay = try value.duration()
            case "lookback": schedule.lookback = try value.int(in: 0...10_000)
            case "catch_up": schedule.catchUp = try value.int(in: 1...1_000_000)
            default: schedule.expectedBy = try value.duration()
            }
        }
        guard let start else {
            throw node.error("missing key 'start' (the first partition that should exist, e.g. 2024-01-01)")
        }
        schedule.start = start
        if let expectedBy = schedule.expectedBy, expectedBy < schedule.delay {
            throw node.error("expected_by (\(expectedBy)) must not be shorter than delay (\(schedule.delay)): "
                + "a partition cannot be late before it is due")
        }
        return schedule
    }
}
