import Foundation
import LoadKit

extension LoadKitConfig.ScheduleConfig {
    /// The first scheduled partition (`start`, or the first partition of a coarser `start` key).
    /// - Throws: ``LoadKitError`` `.partitionKey` (the config loader already checked the key).
    package func firstPartition(_ scheme: PartitionScheme) throws -> Partition {
        try BackfillRange.firstPartition(scheme, forKey: start)
    }

    /// Every partition due at `now`, oldest first: from `start` through the last one whose
    /// interval ended at least `delay` before `now`. Boundaries are the scheme's, so a 23- or
    /// 25-hour day on a daylight-saving change is due exactly `delay` after its own end.
    package func duePartitions(_ scheme: PartitionScheme, now: Date) throws -> [Partition] {
        let first = try firstPartition(scheme)
        let last = scheme.lastComplete(before: now.addingTimeInterval(-delay.seconds))
        guard last.start >= first.start else { return [] }
        return scheme.partitions(from: first, through: last)
    }

    /// Whether partition `partition` is due at `now` (on or after `start`, ended `delay` ago).
    package func isDue(_ partition: Partition, scheme: PartitionScheme, now: Date) throws -> Bool {
        partition.start >= (try firstPartition(scheme)).start
            && Double(partition.end) + delay.seconds <= now.timeIntervalSince1970
    }

    /// Whether `partition`, if still not loaded, is late at `now` (`expected_by` after its end).
    package func isLate(_ partition: Partition, now: Date) -> Bool {
        guard let expectedBy else { return false }
        return Double(partition.end) + expectedBy.seconds <= now.timeIntervalSince1970
    }
}
