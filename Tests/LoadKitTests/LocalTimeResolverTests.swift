import Foundation
import LoadKit
import Testing

@Suite struct LocalTimeResolverTests {
    @Test("New York across both 2013 DST changes: the gap is refused, the repeated hour is standard time",
          arguments: [
              ("2013-03-10T01:30:00", "2013-03-10T06:30:00Z"),
              ("2013-03-10T01:59:59", "2013-03-10T06:59:59Z"),
              ("2013-03-10T03:00:00", "2013-03-10T07:00:00Z"),
              ("2013-03-10T03:30:00", "2013-03-10T07:30:00Z"),
              ("2013-11-03T00:30:00", "2013-11-03T04:30:00Z"),
              ("2013-11-03T01:00:00", "2013-11-03T06:00:00Z"),
              ("2013-11-03T01:30:00", "2013-11-03T06:30:00Z"),
              ("2013-11-03T01:59:59", "2013-11-03T06:59:59Z"),
              ("2013-11-03T02:00:00", "2013-11-03T07:00:00Z"),
              ("2013-11-03T02:30:00", "2013-11-03T07:30:00Z"),
          ])
    func newYorkChanges(local: String, expected: String) throws {
        #expect(try parseValue(local, as: .timestamp, in: newYork) == .text(expected))
    }

    @Test("A New York local time in the spring-forward gap does not exist",
          arguments: ["2013-03-10T02:00:00", "2013-03-10T02:30:00", "2013-03-10T02:59:59", "2013-03-10 02:30"])
    func newYorkGap(local: String) {
        #expect(failureReason(local, as: .timestamp, in: newYork) == "'\(local)' does not exist in "
            + "America/New_York (skipped by a daylight-saving change); give it a UTC offset")
    }

    @Test("Zones with other rules: London's one-hour and Lord Howe's half-hour changes", arguments: [
        ("Europe/London", "2013-03-31T00:30:00", "2013-03-31T00:30:00Z"),
        ("Europe/London", "2013-03-31T01:30:00", nil),
        ("Europe/London", "2013-03-31T02:30:00", "2013-03-31T01:30:00Z"),
        ("Europe/London", "2013-10-27T01:30:00", "2013-10-27T01:30:00Z"),
        ("Europe/London", "2013-10-27T00:30:00", "2013-10-26T23:30:00Z"),
        ("Australia/Lord_Howe", "2013-10-06T01:59:00", "2013-10-05T15:29:00Z"),
        ("Australia/Lord_Howe", "2013-10-06T02:15:00", nil),
        ("Australia/Lord_Howe", "2013-10-06T02:30:00", "2013-10-05T15:30:00Z"),
        ("Australia/Lord_Howe", "2013-04-07T01:45:00", "2013-04-06T15:15:00Z"),
        ("Australia/Lord_Howe", "2013-04-07T01:15:00", "2013-04-06T14:15:00Z"),
    ] as [(String, String, String?)])
    func otherZones(zone: String, local: String, expected: String?) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        if let expected {
            #expect(try parseValue(local, as: .timestamp, in: timeZone) == .text(expected))
        } else {
            #expect(failureReason(local, as: .timestamp, in: timeZone) == "'\(local)' does not exist in "
                + "\(zone) (skipped by a daylight-saving change); give it a UTC offset")
        }
    }

    /// The reference answer by brute force: every instant within 15 hours whose local reading is
    /// `local`, the latest one when there are two.
    static func reference(_ local: Int64, in zone: TimeZone) -> Int64? {
        var offsets = Set<Int64>()
        for hours in stride(from: -15, through: 15, by: 1) {
            offsets.insert(Int64(zone.secondsFromGMT(
                for: Date(timeIntervalSince1970: TimeInterval(local + Int64(hours) * 3600)))))
        }
        let instants = offsets.map { local - $0 }.filter { instant in
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))) == local - instant
        }
        return instants.max()
    }

    @Test("Every minute of every DST-change day matches a brute-force reference, whatever the cache holds",
          arguments: [
              ("America/New_York", ["2013-03-10", "2013-11-03"]),
              ("Europe/London", ["2013-03-31", "2013-10-27"]),
              ("Australia/Lord_Howe", ["2013-04-07", "2013-10-06"]),
          ])
    func transitionDays(zone: String, days: [String]) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        for reversed in [false, true] {
            let resolver = LocalTimeResolver(timeZone: timeZone)
            for day in days {
                let parts = day.split(separator: "-").map { Int($0)! }
                let midnight = Int64(CivilTime.days(year: parts[0], month: parts[1], day: parts[2])) * 86_400
                var minutes = Array(0..<(24 * 60))
                if reversed { minutes.reverse() }
                for minute in minutes {
                    let local = midnight + Int64(minute) * 60
                    let got = resolver.utcSeconds(forLocal: local)
                    let expected = Self.reference(local, in: timeZone)
                    if got != expected {
                        let message = "\(zone) \(day) minute \(minute): \(String(describing: got)) "
                            + "!= \(String(describing: expected))"
                        Issue.record(Comment(rawValue: message))
                        return
                    }
                }
            }
        }
    }

    @Test("Outside the changes, every quarter hour of 2013 in New York resolves to its own instant")
    func wholeYear() {
        let resolver = LocalTimeResolver(timeZone: newYork)
        let start = Int64(CivilTime.days(year: 2013, month: 1, day: 1)) * 86_400
        let end = Int64(CivilTime.days(year: 2014, month: 1, day: 1)) * 86_400
        var gaps: [Int64] = []
        var wrong: [Int64] = []
        for local in stride(from: start, to: end, by: 900) {
            guard let instant = resolver.utcSeconds(forLocal: local) else {
                gaps.append(local)
                continue
            }
            let offset = Int64(newYork.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
            if instant + offset != local { wrong.append(local) }
        }
        let gapStart = Int64(CivilTime.days(year: 2013, month: 3, day: 10)) * 86_400 + 2 * 3600
        #expect(gaps == [gapStart, gapStart + 900, gapStart + 1800, gapStart + 2700])
        #expect(wrong == [])
    }

    @Test("UTC has no gaps and no offset")
    func utcIdentity() {
        let resolver = LocalTimeResolver(timeZone: utc)
        let locals = Array(stride(from: Int64(-86_400 * 400), through: 86_400 * 20_000, by: 86_399))
        #expect(locals.filter { resolver.utcSeconds(forLocal: $0) != $0 } == [])
        #expect(locals.count > 20_000)
    }
}
