import Foundation

/// Turns a local wall-clock time in an IANA time zone into a UTC instant, DST-correct.
///
/// Rules, following PostgreSQL's handling of ambiguous and invalid local times (PostgreSQL
/// manual, Appendix B.7): a local time that occurs twice (the repeated hour when clocks fall
/// back) is read with the offset in force *after* the transition (standard time); a local time
/// that does not exist (the hour skipped when clocks spring forward) is refused rather than
/// silently moved.
///
/// Not `Sendable`: it caches offsets per local hour; give each reader its own.
public final class LocalTimeResolver {
    /// The zone local times are read in.
    public let timeZone: TimeZone
    private var cache: [Int64: Int64?] = [:]

    /// Creates a resolver for `timeZone`.
    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// The UTC instant of a local wall-clock time.
    ///
    /// - Parameter localSeconds: the local time as seconds since 1970-01-01T00:00:00 *local*.
    /// - Returns: seconds since the Unix epoch (UTC), or `nil` when the local time does not
    ///   exist in the zone (a daylight-saving gap).
    public func utcSeconds(forLocal localSeconds: Int64) -> Int64? {
        let hour = localSeconds >= 0 ? localSeconds / 3600 : (localSeconds - 3599) / 3600
        let offset: Int64?
        if let cached = cache[hour] {
            offset = cached
        } else {
            offset = resolveOffset(localHourStart: hour * 3600)
            if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
            cache[hour] = offset
        }
        guard let offset else {
            return exactOffset(forLocal: localSeconds).map { localSeconds - $0 }
        }
        return localSeconds - offset
    }

    /// The offset valid for a whole local hour, or `nil` when a transition falls inside it or
    /// the hour is in a gap; `nil` makes ``utcSeconds(forLocal:)`` resolve the second exactly.
    private func resolveOffset(localHourStart: Int64) -> Int64? {
        guard let start = exactOffset(forLocal: localHourStart),
              let end = exactOffset(forLocal: localHourStart + 3599), start == end else {
            return nil
        }
        return start
    }

    /// The offset (seconds east of UTC) that makes `local` a real instant, preferring the later
    /// instant when two exist; `nil` in a gap.
    private func exactOffset(forLocal local: Int64) -> Int64? {
        // Offsets in force a day either side bound every offset that can apply at `local`.
        let before = offset(at: local - 86_400 - 14 * 3600)
        let after = offset(at: local + 86_400 + 14 * 3600)
        var best: Int64?
        for candidate in [before, after] {
            let instant = local - candidate
            if offset(at: instant) == candidate, best.map({ instant > local - $0 }) ?? true {
                best = candidate
            }
        }
        return best
    }

    private func offset(at utcSeconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcSeconds))))
    }
}
