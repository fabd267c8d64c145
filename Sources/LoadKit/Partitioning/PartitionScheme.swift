import Foundation

/// How a table is partitioned: a granularity and the IANA time zone whose local calendar draws
/// the boundaries.
///
/// All arithmetic is calendar arithmetic in the zone, never "plus 86,400 seconds": in
/// America/New_York the day 2013-03-10 is 23 hours long and 2013-11-03 is 25, and the hour
/// partitions of those days number 23 and 25. Month ends and 29 February are exact.
///
/// ```swift
/// let scheme = PartitionScheme(granularity: .day, timeZone: TimeZone(identifier: "America/New_York")!)
/// let p = try scheme.partition(forKey: "2013-03-10")   // p.seconds == 82_800
/// ```
public struct PartitionScheme: Sendable, Hashable {
    /// The size of each partition.
    public let granularity: Granularity
    /// The zone of the boundaries.
    public let timeZone: TimeZone

    /// Creates a scheme.
    public init(granularity: Granularity, timeZone: TimeZone) {
        self.granularity = granularity
        self.timeZone = timeZone
    }

    // MARK: - From instants and dates

    /// The partition that contains the instant `utcSeconds` (seconds since the Unix epoch).
    public func partition(containingUTC utcSeconds: Int64) -> Partition {
        let offset = self.offset(at: utcSeconds)
        let local = utcSeconds + offset
        let days = Int(floorDiv(local, 86_400))
        if granularity == .hour {
            let hourStart = floorDiv(local, 3600) * 3600
            // The local hour under this offset; where a transition falls inside it (zones whose
            // clocks move by 30 minutes), the partition ends or starts at the transition.
            var start = hourStart - offset
            if self.offset(at: start) != offset { start = transition(between: start, and: utcSeconds) }
            var end = hourStart + 3600 - offset
            if self.offset(at: end - 1) != offset { end = transition(between: utcSeconds, and: end - 1) }
            let d = CivilTime.date(days: days)
            let hour = Int((hourStart - Int64(days) * 86_400) / 3600)
            return Partition(key: Self.hourKey(days: days, hour: hour, offset: offset), granularity: .hour,
                             start: start, end: end, local: (d.year, d.month, d.day, hour))
        }
        return partition(containingLocalDay: days)
    }

    /// The partition that contains the local calendar day `days` (days since 1970-01-01);
    /// for hour granularity, the first hour of that day.
    public func partition(containingLocalDay days: Int) -> Partition {
        let d = CivilTime.date(days: days)
        switch granularity {
        case .hour:
            return partition(containingUTC: firstInstant(ofLocalDay: days))
        case .day:
            return Partition(key: CivilTime.formatDate(days: days), granularity: .day,
                             start: firstInstant(ofLocalDay: days), end: firstInstant(ofLocalDay: days + 1),
                             local: (d.year, d.month, d.day, 0))
        case .month:
            let first = CivilTime.days(year: d.year, month: d.month, day: 1)
            let next = first + CivilTime.daysInMonth(year: d.year, month: d.month)
            return Partition(key: String(CivilTime.formatDate(days: first).prefix(7)), granularity: .month,
                             start: firstInstant(ofLocalDay: first), end: firstInstant(ofLocalDay: next),
                             local: (d.year, d.month, 1, 0))
        case .year:
            let first = CivilTime.days(year: d.year, month: 1, day: 1)
            let next = CivilTime.days(year: d.year + 1, month: 1, day: 1)
            return Partition(key: String(CivilTime.formatDate(days: first).prefix(4)), granularity: .year,
                             start: firstInstant(ofLocalDay: first), end: firstInstant(ofLocalDay: next),
                             local: (d.year, 1, 1, 0))
        }
    }

    /// The partition after `partition`.
    public func next(after partition: Partition) -> Partition {
        self.partition(containingUTC: partition.end)
    }

    /// Every partition from `first` through `last`, both included, oldest first; empty when
    /// `last` is before `first`.
    public func partitions(from first: Partition, through last: Partition) -> [Partition] {
        var result: [Partition] = []
        var current = first
        while current.start <= last.start {
            result.append(current)
            current = next(after: current)
        }
        return result
    }

    /// The last partition that ended at or before `now`: the default end of a backfill.
    public func lastComplete(before now: Date) -> Partition {
        let current = partition(containingUTC: Int64(now.timeIntervalSince1970.rounded(.down)))
        return partition(containingUTC: current.start - 1)
    }

    // MARK: - From keys

    /// The partition named by `key`.
    ///
    /// Hour keys carry their UTC offset (`2013-11-03T01:00-04:00`); an hour key without one
    /// (`2013-11-03T05:00`) is accepted when the local hour occurs exactly once that day.
    /// - Throws: ``LoadKitError`` `.partitionKey` when the key is malformed, names another
    ///   granularity, or names an hour that does not exist (or is ambiguous) in the zone.
    public func partition(forKey key: String) throws -> Partition {
        let bytes = Array(key.utf8)
        let expected: String
        switch granularity {
        case .year: expected = "YYYY, for example 2013"
        case .month: expected = "YYYY-MM, for example 2013-01"
        case .day: expected = "YYYY-MM-DD, for example 2013-01-05"
        case .hour: expected = "YYYY-MM-DDTHH:00±HH:MM, for example 2013-11-03T01:00-04:00"
        }
        let article = granularity == .hour ? "an" : "a"
        let bad = LoadKitError(.partitionKey,
            "'\(key)' is not \(article) \(granularity.rawValue) partition key (\(expected))")
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard bytes.count >= start + count else { return nil }
            var v = 0
            for b in bytes[start..<start + count] {
                guard b &- 48 < 10 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard let year = digits(0, 4) else { throw bad }
        switch granularity {
        case .year:
            guard bytes.count == 4 else { throw bad }
            return partition(containingLocalDay: CivilTime.days(year: year, month: 1, day: 1))
        case .month:
            guard bytes.count == 7, bytes[4] == 45, let month = digits(5, 2), (1...12).contains(month) else { throw bad }
            return partition(containingLocalDay: CivilTime.days(year: year, month: month, day: 1))
        case .day:
            guard bytes.count == 10, let days = key.utf8.withContiguousStorageIfAvailable({
                ValueParser.parseDate(UnsafeRawBufferPointer($0), from: 0) }) ?? nil else { throw bad }
            return partition(containingLocalDay: days)
        case .hour:
            guard bytes.count >= 16, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58,
                  let month = digits(5, 2), let day = digits(8, 2), let hour = digits(11, 2),
                  (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month),
                  hour < 24, digits(14, 2) == 0 else { throw bad }
            let days = CivilTime.days(year: year, month: month, day: day)
            let localHour = Int64(days) * 86_400 + Int64(hour) * 3600
            // Probe the hour under each offset that may apply; keep the partitions that really
            // are this local hour (a probe in a gap lands in a neighbouring hour).
            var candidates: [Partition] = []
            for offset in candidateOffsets(aroundLocal: localHour) {
                for probe: Int64 in [0, 1800, 3599] {
                    let p = partition(containingUTC: localHour - offset + probe)
                    let l = p.local
                    if l.year == year && l.month == month && l.day == day && l.hour == hour { candidates.append(p) }
                }
            }
            if bytes.count == 16 {
                let unique = Array(Set(candidates)).sorted()
                if unique.count == 1 { return unique[0] }
                if unique.isEmpty {
                    throw LoadKitError(.partitionKey, "hour '\(key)' does not exist in \(timeZone.displayIdentifier) "
                        + "(skipped by a daylight-saving change)")
                }
                throw LoadKitError(.partitionKey, "hour '\(key)' occurs twice in \(timeZone.displayIdentifier); "
                    + "name one: " + unique.map(\.key).joined(separator: " or "))
            }
            guard bytes.count == 22 else { throw bad }
            if let match = candidates.first(where: { $0.key == key }) { return match }
            throw LoadKitError(.partitionKey, "'\(key)' is not an hour of \(timeZone.displayIdentifier)"
                + (candidates.isEmpty ? " (skipped by a daylight-saving change)"
                    : "; did you mean " + Array(Set(candidates)).sorted().map(\.key).joined(separator: " or ") + "?"))
        }
    }

    // MARK: - Zone arithmetic

    /// Seconds east of UTC in force at the instant `utcSeconds`.
    public func offset(at utcSeconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcSeconds))))
    }

    /// The offsets that may apply to a local time: those in force a day and a half either side.
    private func candidateOffsets(aroundLocal local: Int64) -> [Int64] {
        let a = offset(at: local - 129_600)
        let b = offset(at: local + 129_600)
        return a == b ? [a] : [a, b]
    }

    /// The first instant whose local date is `days`: local midnight, or, where midnight falls in
    /// a daylight-saving gap, the moment the clocks jump.
    func firstInstant(ofLocalDay days: Int) -> Int64 {
        var local = Int64(days) * 86_400
        while true {
            let valid = candidateOffsets(aroundLocal: local).map { local - $0 }.filter {
                $0 + offset(at: $0) == local
            }
            if let earliest = valid.min() {
                // In a gap the earlier minutes were skipped: the day starts at the transition.
                if local != Int64(days) * 86_400 {
                    let previous = earliest - 900
                    if previous + offset(at: previous) < Int64(days) * 86_400 {
                        return transition(between: previous, and: earliest)
                    }
                }
                return earliest
            }
            local += 900
        }
    }

    /// The first instant in `(low, high]` whose offset differs from `low`'s.
    private func transition(between low: Int64, and high: Int64) -> Int64 {
        var lo = low
        var hi = high
        let base = offset(at: low)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if offset(at: mid) == base { lo = mid } else { hi = mid }
        }
        return hi
    }

    static func hourKey(days: Int, hour: Int, offset: Int64) -> String {
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        let oh = magnitude / 3600
        let om = magnitude / 60 % 60
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(CivilTime.formatDate(days: days))T\(two(Int64(hour))):00\(sign)\(two(oh)):\(two(om))"
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    a >= 0 ? a / b : (a - b + 1) / b
}
