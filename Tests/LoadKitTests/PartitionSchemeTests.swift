import Foundation
import LoadKit
import Testing

/// Seconds since the Unix epoch of an ISO 8601 UTC instant such as `2013-03-10T05:00:00Z`,
/// read by Foundation (not by LoadKit's own calendar code).
func utcInstant(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else {
        Issue.record("'\(text)' is not an ISO 8601 instant", sourceLocation: sourceLocation)
        return .min
    }
    return Int64(date.timeIntervalSince1970)
}

/// `seconds` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`, rendered by Foundation.
func utcText(_ seconds: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")!
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}

/// A scheme of `granularity` in the zone named `zone`.
func scheme(_ granularity: Granularity, _ zone: String, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> PartitionScheme {
    let timeZone = try #require(TimeZone(identifier: zone), "no time zone \(zone)", sourceLocation: sourceLocation)
    return PartitionScheme(granularity: granularity, timeZone: timeZone)
}

/// The hour partitions of the local day `day` (`YYYY-MM-DD`) of `zone`.
func hourPartitions(ofDay day: String, in zone: String) throws -> [Partition] {
    let dayPartition = try scheme(.day, zone).partition(forKey: day)
    let hours = try scheme(.hour, zone)
    return hours.partitions(from: hours.partition(containingUTC: dayPartition.start),
                            through: hours.partition(containingUTC: dayPartition.end - 1))
}

@Suite struct PartitionSchemeTests {
    // MARK: - Data intervals

    @Test("Partition intervals are exact UTC instants of local calendar boundaries", arguments: [
        // granularity, zone, key, start (UTC), end (UTC)
        (Granularity.day, "America/New_York", "2013-01-01", "2013-01-01T05:00:00Z", "2013-01-02T05:00:00Z"),
        (.day, "America/New_York", "2013-07-04", "2013-07-04T04:00:00Z", "2013-07-05T04:00:00Z"),
        (.day, "America/New_York", "2013-03-10", "2013-03-10T05:00:00Z", "2013-03-11T04:00:00Z"),
        (.day, "America/New_York", "2013-11-03", "2013-11-03T04:00:00Z", "2013-11-04T05:00:00Z"),
        (.day, "America/New_York", "2013-12-31", "2013-12-31T05:00:00Z", "2014-01-01T05:00:00Z"),
        (.day, "UTC", "2024-02-29", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"),
        (.day, "Asia/Kolkata", "2024-01-01", "2023-12-31T18:30:00Z", "2024-01-01T18:30:00Z"),
        (.month, "America/New_York", "2024-02", "2024-02-01T05:00:00Z", "2024-03-01T05:00:00Z"),
        (.month, "America/New_York", "2023-02", "2023-02-01T05:00:00Z", "2023-03-01T05:00:00Z"),
        (.month, "America/New_York", "2013-03", "2013-03-01T05:00:00Z", "2013-04-01T04:00:00Z"),
        (.month, "America/New_York", "2013-12", "2013-12-01T05:00:00Z", "2014-01-01T05:00:00Z"),
        (.month, "UTC", "2013-04", "2013-04-01T00:00:00Z", "2013-05-01T00:00:00Z"),
        (.year, "America/New_York", "2013", "2013-01-01T05:00:00Z", "2014-01-01T05:00:00Z"),
        (.year, "America/New_York", "2024", "2024-01-01T05:00:00Z", "2025-01-01T05:00:00Z"),
        (.year, "UTC", "2000", "2000-01-01T00:00:00Z", "2001-01-01T00:00:00Z"),
        (.hour, "America/New_York", "2013-11-03T01:00-04:00", "2013-11-03T05:00:00Z", "2013-11-03T06:00:00Z"),
        (.hour, "America/New_York", "2013-11-03T01:00-05:00", "2013-11-03T06:00:00Z", "2013-11-03T07:00:00Z"),
        (.hour, "America/New_York", "2013-03-10T03:00-04:00", "2013-03-10T07:00:00Z", "2013-03-10T08:00:00Z"),
        (.hour, "Asia/Kolkata", "2024-01-01T05:00+05:30", "2023-12-31T23:30:00Z", "2024-01-01T00:30:00Z"),
    ])
    func intervals(granularity: Granularity, zone: String, key: String, start: String, end: String) throws {
        let p = try scheme(granularity, zone).partition(forKey: key)
        #expect(p.key == key)
        #expect(p.granularity == granularity)
        #expect(utcText(p.start) == start)
        #expect(utcText(p.end) == end)
        #expect(p.seconds == p.end - p.start)
    }

    @Test("Day partitions of DST change days in New York are 23 and 25 hours long", arguments: [
        ("2013-03-09", 86_400), ("2013-03-10", 82_800), ("2013-03-11", 86_400),
        ("2013-11-02", 86_400), ("2013-11-03", 90_000), ("2013-11-04", 86_400),
    ])
    func dstDayLengths(key: String, seconds: Int64) throws {
        #expect(try scheme(.day, "America/New_York").partition(forKey: key).seconds == seconds)
        #expect(try scheme(.day, "UTC").partition(forKey: key).seconds == 86_400)
    }

    @Test("Month and year partitions have their calendar length", arguments: [
        (Granularity.month, "2024-02", 29), (.month, "2023-02", 28), (.month, "2024-04", 30),
        (.month, "2024-01", 31), (.year, "2024", 366), (.year, "2023", 365), (.year, "2000", 366),
        (.year, "1900", 365),
    ])
    func calendarLengths(granularity: Granularity, key: String, days: Int64) throws {
        #expect(try scheme(granularity, "UTC").partition(forKey: key).seconds == days * 86_400)
    }

    @Test("The local fields of a partition are those of its local start", arguments: [
        (Granularity.hour, "2013-11-03T01:00-05:00", 2013, 11, 3, 1),
        (.day, "2024-02-29", 2024, 2, 29, 0),
        (.month, "2013-12", 2013, 12, 1, 0),
        (.year, "2013", 2013, 1, 1, 0),
    ])
    func localFields(granularity: Granularity, key: String, year: Int, month: Int, day: Int, hour: Int) throws {
        let p = try scheme(granularity, "America/New_York").partition(forKey: key)
        #expect(p.local == (year, month, day, hour))
    }

    // MARK: - next(after:) and ranges

    @Test("The partition after one starts where it ends and crosses month and year ends", arguments: [
        (Granularity.day, "2013-12-31", "2014-01-01"),
        (.day, "2024-02-28", "2024-02-29"),
        (.day, "2024-02-29", "2024-03-01"),
        (.day, "2023-02-28", "2023-03-01"),
        (.day, "2013-03-09", "2013-03-10"),
        (.day, "2013-03-10", "2013-03-11"),
        (.day, "2013-11-03", "2013-11-04"),
        (.month, "2013-12", "2014-01"),
        (.month, "2024-01", "2024-02"),
        (.month, "2024-02", "2024-03"),
        (.year, "2013", "2014"),
        (.year, "1999", "2000"),
        (.hour, "2013-03-10T01:00-05:00", "2013-03-10T03:00-04:00"),
        (.hour, "2013-11-03T00:00-04:00", "2013-11-03T01:00-04:00"),
        (.hour, "2013-11-03T01:00-04:00", "2013-11-03T01:00-05:00"),
        (.hour, "2013-11-03T01:00-05:00", "2013-11-03T02:00-05:00"),
        (.hour, "2013-12-31T23:00-05:00", "2014-01-01T00:00-05:00"),
    ])
    func nextPartition(granularity: Granularity, key: String, nextKey: String) throws {
        let s = try scheme(granularity, "America/New_York")
        let p = try s.partition(forKey: key)
        let next = s.next(after: p)
        #expect(next.key == nextKey)
        #expect(next.start == p.end)
        #expect(next == (try s.partition(forKey: nextKey)))
    }

    @Test("Ranges include both ends and hold every partition once, oldest first", arguments: [
        (Granularity.day, "2024-01-01", "2024-01-31", 31),
        (.day, "2024-02-27", "2024-03-01", 4),
        (.day, "2023-02-27", "2023-03-01", 3),
        (.day, "2013-12-30", "2014-01-02", 4),
        (.day, "2013-01-05", "2013-01-05", 1),
        (.month, "2024-01", "2024-12", 12),
        (.month, "2013-11", "2014-02", 4),
        (.year, "2010", "2013", 4),
    ])
    func ranges(granularity: Granularity, first: String, last: String, count: Int) throws {
        let s = try scheme(granularity, "America/New_York")
        let range = s.partitions(from: try s.partition(forKey: first), through: try s.partition(forKey: last))
        #expect(range.count == count)
        #expect(range.first?.key == first)
        #expect(range.last?.key == last)
        #expect(Set(range.map(\.key)).count == count)
        for (a, b) in zip(range, range.dropFirst()) {
            #expect(a.end == b.start, "\(a.key) ends at \(a.end), \(b.key) starts at \(b.start)")
            #expect(a < b)
        }
    }

    @Test("Every day of February 2024 is in the range, 29 February included")
    func februaryDays() throws {
        let s = try scheme(.day, "America/New_York")
        let keys = s.partitions(from: try s.partition(forKey: "2024-02-01"),
                                through: try s.partition(forKey: "2024-02-29")).map(\.key)
        #expect(keys == (1...29).map { String(format: "2024-02-%02d", $0) })
    }

    @Test("The twelve months of 2024 are named in order")
    func monthsOf2024() throws {
        let s = try scheme(.month, "America/New_York")
        let keys = s.partitions(from: try s.partition(forKey: "2024-01"),
                                through: try s.partition(forKey: "2024-12")).map(\.key)
        #expect(keys == (1...12).map { String(format: "2024-%02d", $0) })
    }

    @Test("A range whose last partition is before its first is empty")
    func emptyRange() throws {
        let s = try scheme(.day, "America/New_York")
        #expect(s.partitions(from: try s.partition(forKey: "2013-01-02"),
                             through: try s.partition(forKey: "2013-01-01")).isEmpty)
    }

    // MARK: - Hours around DST changes

    @Test("The spring-forward day in New York has 23 hour partitions, 02:00 skipped")
    func springForwardHours() throws {
        let hours = try hourPartitions(ofDay: "2013-03-10", in: "America/New_York")
        #expect(hours.count == 23)
        #expect(hours.map(\.key) ==
            ["2013-03-10T00:00-05:00", "2013-03-10T01:00-05:00"]
            + (3...23).map { String(format: "2013-03-10T%02d:00-04:00", $0) })
        #expect(hours.allSatisfy { $0.seconds == 3600 })
        #expect(utcText(hours[1].start) == "2013-03-10T06:00:00Z")
        #expect(utcText(hours[2].start) == "2013-03-10T07:00:00Z")
        #expect(hours.map(\.local.hour) == [0, 1] + Array(3...23))
    }

    @Test("The fall-back day in New York has 25 hour partitions, 01:00 twice")
    func fallBackHours() throws {
        let hours = try hourPartitions(ofDay: "2013-11-03", in: "America/New_York")
        #expect(hours.count == 25)
        #expect(hours.map(\.key) ==
            ["2013-11-03T00:00-04:00", "2013-11-03T01:00-04:00", "2013-11-03T01:00-05:00"]
            + (2...23).map { String(format: "2013-11-03T%02d:00-05:00", $0) })
        #expect(utcText(hours[1].start) == "2013-11-03T05:00:00Z")
        #expect(utcText(hours[2].start) == "2013-11-03T06:00:00Z")
        #expect(hours[1].local.hour == 1 && hours[2].local.hour == 1)
    }

    @Test("In UTC the same days have 24 hour partitions", arguments: ["2013-03-10", "2013-11-03", "2024-02-29"])
    func utcHours(day: String) throws {
        let hours = try hourPartitions(ofDay: day, in: "UTC")
        #expect(hours.count == 24)
        #expect(hours.first?.key == "\(day)T00:00+00:00")
        #expect(hours.last?.key == "\(day)T23:00+00:00")
    }

    @Test("Hour partitions tile each DST change day exactly", arguments: [
        ("America/New_York", "2013-03-10", 23), ("America/New_York", "2013-11-03", 25),
        ("Europe/London", "2013-03-31", 23), ("Europe/London", "2013-10-27", 25),
        ("Asia/Kolkata", "2024-01-01", 24), ("UTC", "2013-11-03", 24),
    ])
    func hoursTileTheDay(zone: String, day: String, count: Int) throws {
        let dayPartition = try scheme(.day, zone).partition(forKey: day)
        let hours = try hourPartitions(ofDay: day, in: zone)
        #expect(hours.count == count)
        #expect(hours.first?.start == dayPartition.start)
        #expect(hours.last?.end == dayPartition.end)
        #expect(hours.reduce(0) { $0 + $1.seconds } == dayPartition.seconds)
        for (a, b) in zip(hours, hours.dropFirst()) {
            #expect(a.end == b.start, "\(a.key) ends at \(utcText(a.end)), \(b.key) starts at \(utcText(b.start))")
        }
    }

    @Test("Consecutive hour partitions never overlap, even where DST moves clocks by 30 minutes")
    func lordHoweHours() throws {
        // Australia/Lord_Howe: +10:30 standard, +11:00 summer; clocks move 02:00 -> 02:30 on
        // 2013-10-06 and 02:00 -> 01:30 on 2013-04-07.
        let s = try scheme(.hour, "Australia/Lord_Howe")
        #expect(s.offset(at: utcInstant("2013-10-05T15:29:59Z")) == 37_800)
        #expect(s.offset(at: utcInstant("2013-10-05T15:30:00Z")) == 39_600)
        for day in ["2013-10-06", "2013-04-07"] {
            let hours = try hourPartitions(ofDay: day, in: "Australia/Lord_Howe")
            for (a, b) in zip(hours, hours.dropFirst()) {
                #expect(a.end == b.start, "\(a.key) [\(utcText(a.start)), \(utcText(a.end))) then \(b.key) [\(utcText(b.start)), \(utcText(b.end)))")
            }
            // Every instant belongs to the partition that contains it.
            for p in hours {
                #expect(s.partition(containingUTC: p.start) == p, "\(p.key) does not contain its own start")
                #expect(s.partition(containingUTC: p.end - 1) == p, "\(p.key) does not contain its last second")
            }
        }
    }

    // MARK: - Zones with unusual offsets

    @Test("A zone with a 30-minute offset names hours with +05:30")
    func kolkata() throws {
        let s = try scheme(.hour, "Asia/Kolkata")
        let p = s.partition(containingUTC: utcInstant("2024-01-01T00:00:00Z"))
        #expect(p.key == "2024-01-01T05:00+05:30")
        #expect(utcText(p.start) == "2023-12-31T23:30:00Z")
        #expect(p.local == (2024, 1, 1, 5))
        let first = s.partition(containingLocalDay: CivilTime.days(year: 2024, month: 1, day: 1))
        #expect(first.key == "2024-01-01T00:00+05:30")
        #expect(utcText(first.start) == "2023-12-31T18:30:00Z")
        #expect(try s.partition(forKey: "2024-01-01T05:00") == p)
        #expect(try s.partition(forKey: "2024-01-01T05:00+05:30") == p)
    }

    @Test("A negative half-hour offset is written -03:30")
    func stJohns() throws {
        let s = try scheme(.hour, "America/St_Johns")
        let p = s.partition(containingUTC: utcInstant("2013-01-15T12:00:00Z"))
        #expect(p.key == "2013-01-15T08:00-03:30")
        #expect(utcText(p.start) == "2013-01-15T11:30:00Z")
        #expect(try s.partition(forKey: "2013-01-15T08:00-03:30") == p)
    }

    @Test("Where DST starts at midnight, the day starts when the clocks jump (São Paulo, 2018-11-04)")
    func saoPauloSpringForward() throws {
        let day = try scheme(.day, "America/Sao_Paulo")
        // What Foundation's tz data says: 23:59:59 -03:00 on 3 November, then 01:00 -02:00.
        #expect(day.offset(at: utcInstant("2018-11-04T02:59:59Z")) == -3 * 3600)
        #expect(day.offset(at: utcInstant("2018-11-04T03:00:00Z")) == -2 * 3600)

        let p = try day.partition(forKey: "2018-11-04")
        #expect(utcText(p.start) == "2018-11-04T03:00:00Z")   // 01:00 local, midnight never happened
        #expect(utcText(p.end) == "2018-11-05T02:00:00Z")
        #expect(p.seconds == 82_800)
        let before = try day.partition(forKey: "2018-11-03")
        #expect(before.end == p.start)
        #expect(before.seconds == 86_400)
        #expect(day.partition(containingUTC: utcInstant("2018-11-04T02:59:59Z")).key == "2018-11-03")
        #expect(day.partition(containingUTC: utcInstant("2018-11-04T03:00:00Z")).key == "2018-11-04")

        let hours = try hourPartitions(ofDay: "2018-11-04", in: "America/Sao_Paulo")
        #expect(hours.count == 23)
        #expect(hours.first?.key == "2018-11-04T01:00-02:00")
        #expect(hours.last?.key == "2018-11-04T23:00-02:00")
        let hourScheme = try scheme(.hour, "America/Sao_Paulo")
        #expect(hourScheme.partition(containingLocalDay: CivilTime.days(year: 2018, month: 11, day: 4)).key
            == "2018-11-04T01:00-02:00")
        let midnight = loadKitError { _ = try hourScheme.partition(forKey: "2018-11-04T00:00") }
        #expect(midnight?.description
            == "hour '2018-11-04T00:00' does not exist in America/Sao_Paulo (skipped by a daylight-saving change)")

        let month = try scheme(.month, "America/Sao_Paulo").partition(forKey: "2018-11")
        #expect(utcText(month.start) == "2018-11-01T03:00:00Z")
    }

    @Test("Where DST ends at midnight, the day before has 25 hours (São Paulo, 2019-02-16)")
    func saoPauloFallBack() throws {
        let day = try scheme(.day, "America/Sao_Paulo")
        let p = try day.partition(forKey: "2019-02-16")
        #expect(utcText(p.start) == "2019-02-16T02:00:00Z")
        #expect(utcText(p.end) == "2019-02-17T03:00:00Z")
        #expect(p.seconds == 90_000)
        let hours = try hourPartitions(ofDay: "2019-02-16", in: "America/Sao_Paulo")
        #expect(hours.count == 25)
        #expect(hours.suffix(2).map(\.key) == ["2019-02-16T23:00-02:00", "2019-02-16T23:00-03:00"])
    }

    // MARK: - From instants

    @Test("The partition containing an instant", arguments: [
        (Granularity.day, "2013-01-01T04:59:59Z", "2012-12-31"),
        (.day, "2013-01-01T05:00:00Z", "2013-01-01"),
        (.month, "2013-02-01T04:59:59Z", "2013-01"),
        (.month, "2013-02-01T05:00:00Z", "2013-02"),
        (.year, "2014-01-01T04:59:59Z", "2013"),
        (.year, "2014-01-01T05:00:00Z", "2014"),
        (.hour, "2013-11-03T05:59:59Z", "2013-11-03T01:00-04:00"),
        (.hour, "2013-11-03T06:00:00Z", "2013-11-03T01:00-05:00"),
        (.hour, "2013-03-10T06:59:59Z", "2013-03-10T01:00-05:00"),
        (.hour, "2013-03-10T07:00:00Z", "2013-03-10T03:00-04:00"),
        (.day, "1969-12-31T23:59:59Z", "1969-12-31"),
    ])
    func containingInstant(granularity: Granularity, instant: String, key: String) throws {
        let s = try scheme(granularity, "America/New_York")
        let t = utcInstant(instant)
        let p = s.partition(containingUTC: t)
        #expect(p.key == key)
        #expect(p.start <= t && t < p.end)
    }

    // MARK: - lastComplete(before:)

    @Test("The last complete partition is the one that ended at or before now", arguments: [
        (Granularity.day, "2013-01-02T12:00:00Z", "2013-01-01"),
        (.day, "2013-01-02T05:00:00Z", "2013-01-01"),
        (.day, "2013-01-02T04:59:59Z", "2012-12-31"),
        (.day, "2013-03-11T04:00:00Z", "2013-03-10"),
        (.hour, "2013-11-03T06:30:00Z", "2013-11-03T01:00-04:00"),
        (.hour, "2013-11-03T07:00:00Z", "2013-11-03T01:00-05:00"),
        (.month, "2024-03-01T04:59:59Z", "2024-01"),
        (.month, "2024-03-01T05:00:00Z", "2024-02"),
        (.month, "2014-01-15T00:00:00Z", "2013-12"),
        (.year, "2014-06-01T00:00:00Z", "2013"),
    ])
    func lastComplete(granularity: Granularity, now: String, key: String) throws {
        let s = try scheme(granularity, "America/New_York")
        let date = Date(timeIntervalSince1970: TimeInterval(utcInstant(now)))
        let p = s.lastComplete(before: date)
        #expect(p.key == key)
        #expect(p.end <= utcInstant(now))
    }

    @Test("A fraction of a second after a boundary does not complete the next partition")
    func lastCompleteWithFraction() throws {
        let s = try scheme(.day, "America/New_York")
        let boundary = TimeInterval(utcInstant("2013-01-02T05:00:00Z"))
        #expect(s.lastComplete(before: Date(timeIntervalSince1970: boundary + 0.5)).key == "2013-01-01")
        #expect(s.lastComplete(before: Date(timeIntervalSince1970: boundary - 0.5)).key == "2012-12-31")
    }

    // MARK: - Granularity

    @Test("Each granularity offers the placeholders of its size")
    func placeholders() {
        #expect(Granularity.year.placeholders == ["key", "year"])
        #expect(Granularity.month.placeholders == ["key", "year", "month"])
        #expect(Granularity.day.placeholders == ["key", "year", "month", "day", "date"])
        #expect(Granularity.hour.placeholders == ["key", "year", "month", "day", "date", "hour"])
        #expect(Granularity.allNames == "hour, day, month, year")
        #expect(Granularity(rawValue: "week") == nil)
    }
}
