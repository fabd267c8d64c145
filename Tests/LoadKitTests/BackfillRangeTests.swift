import Foundation
import LoadKit
import Testing

/// `--from`/`--to` ranges: keys of the table's granularity, and keys of a longer period
/// (a day on an hour table, a month on a day table, a year on a month table) meaning all of it.
@Suite struct BackfillRangeTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let newYork = TimeZone(identifier: "America/New_York")!
    /// Any instant long after the ranges below; only a missing `--to` reads it.
    static let now = Date(timeIntervalSince1970: 1_900_000_000)

    static func scheme(_ granularity: Granularity, _ zone: TimeZone = utc) -> PartitionScheme {
        PartitionScheme(granularity: granularity, timeZone: zone)
    }

    @Test("Day keys on an hour table: the first hour of the from-day through the last hour of the to-day")
    func dayKeysOnHours() throws {
        let hours = try BackfillRange.partitions(Self.scheme(.hour), from: "2024-01-01", to: "2024-01-02", now: Self.now)
        #expect(hours.count == 48)
        #expect(hours.first?.key == "2024-01-01T00:00+00:00")
        #expect(hours.last?.key == "2024-01-02T23:00+00:00")
        #expect(Set(hours.map(\.key)).count == 48)
    }

    @Test("A daylight-saving day of an hour table in New York has 23 or 25 hours", arguments: [
        ("2024-03-10", 23, "2024-03-10T00:00-05:00", "2024-03-10T23:00-04:00"),
        ("2024-11-03", 25, "2024-11-03T00:00-04:00", "2024-11-03T23:00-05:00"),
        ("2024-07-04", 24, "2024-07-04T00:00-04:00", "2024-07-04T23:00-04:00"),
    ])
    func dstDays(day: String, count: Int, first: String, last: String) throws {
        let hours = try BackfillRange.partitions(Self.scheme(.hour, Self.newYork), from: day, to: day, now: Self.now)
        #expect(hours.count == count)
        #expect(hours.first?.key == first)
        #expect(hours.last?.key == last)
        if count == 25 {
            #expect(hours.map(\.key).contains("2024-11-03T01:00-04:00"))
            #expect(hours.map(\.key).contains("2024-11-03T01:00-05:00"))
        }
    }

    @Test("The hours of a fall-back week: 24 × 7 + 1")
    func week() throws {
        let hours = try BackfillRange.partitions(Self.scheme(.hour, Self.newYork), from: "2024-11-01", to: "2024-11-07",
                                                 now: Self.now)
        #expect(hours.count == 24 * 7 + 1)
    }

    @Test("Month keys on a day table: every day of both months, leap day included")
    func monthKeysOnDays() throws {
        let days = try BackfillRange.partitions(Self.scheme(.day, Self.newYork), from: "2024-01", to: "2024-02", now: Self.now)
        #expect(days.count == 31 + 29)
        #expect(days.first?.key == "2024-01-01")
        #expect(days.last?.key == "2024-02-29")
    }

    @Test("Year keys: months of a month table, days of a day table, hours of an hour table")
    func yearKeys() throws {
        let months = try BackfillRange.partitions(Self.scheme(.month), from: "2023", to: "2024", now: Self.now)
        #expect(months.count == 24)
        #expect(months.first?.key == "2023-01" && months.last?.key == "2024-12")
        #expect(try BackfillRange.partitions(Self.scheme(.day), from: "2024", to: "2024", now: Self.now).count == 366)
        #expect(try BackfillRange.partitions(Self.scheme(.hour, Self.newYork), from: "2024", to: "2024", now: Self.now)
            .count == 366 * 24)
    }

    @Test("Keys may mix: an hour key to a day key, a day key to a month key")
    func mixed() throws {
        let hours = try BackfillRange.partitions(Self.scheme(.hour), from: "2024-01-01T22:00+00:00", to: "2024-01-02",
                                                 now: Self.now)
        #expect(hours.count == 2 + 24)
        let days = try BackfillRange.partitions(Self.scheme(.day), from: "2024-01-30", to: "2024-02", now: Self.now)
        #expect(days.count == 2 + 29)
    }

    @Test("A key of the table's own granularity still names one partition")
    func ownGranularity() throws {
        let days = try BackfillRange.partitions(Self.scheme(.day), from: "2013-01-01", to: "2013-01-31", now: Self.now)
        #expect(days.count == 31)
        #expect(try BackfillRange.firstPartition(Self.scheme(.month), forKey: "2013-01").key == "2013-01")
        #expect(try BackfillRange.lastPartition(Self.scheme(.month), forKey: "2013-01").key == "2013-01")
        #expect(try BackfillRange.lastPartition(Self.scheme(.day), forKey: "2013-02").key == "2013-02-28")
    }

    @Test("Without --to, a day key on an hour table runs to the last complete hour")
    func openEnded() throws {
        // 2024-01-03T05:30Z: the last complete hour is 04:00.
        let now = Date(timeIntervalSince1970: 1_704_259_800)
        let hours = try BackfillRange.partitions(Self.scheme(.hour), from: "2024-01-01", to: nil, now: now)
        #expect(hours.count == 48 + 5)
        #expect(hours.last?.key == "2024-01-03T04:00+00:00")
    }

    @Test("A key of a shorter period than the table's, a malformed key and a reversed range are errors",
          arguments: [
            (Granularity.month, "2024-01-05", "2024-02", "'2024-01-05' is not a month partition key (YYYY-MM, for example 2013-01)"),
            (.day, "2024-13", "2024-12", "'2024-13' is not a month partition key (YYYY-MM, for example 2013-01)"),
            (.day, "2024-1-5", "2024-02-01", "'2024-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"),
            (.hour, "2024-01-05", "2024-01-04", "--to 2024-01-04 is before --from 2024-01-05"),
            (.day, "2024-02", "2024-01", "--to 2024-01 is before --from 2024-02"),
          ])
    func errors(granularity: Granularity, from: String, to: String, message: String) throws {
        let error = try #require(throws: LoadKitError.self) {
            try BackfillRange.partitions(Self.scheme(granularity), from: from, to: to, now: Self.now)
        }
        #expect(error.code == .partitionKey)
        #expect(error.message == message)
    }
}

/// ``SourceTemplate/sharedInput(among:)``: two partitions reading one file.
@Suite struct SourceTemplateSharedInputTests {
    static let fallBack = try! BackfillRange.partitions(
        PartitionScheme(granularity: .hour, timeZone: TimeZone(identifier: "America/New_York")!),
        from: "2024-11-03", to: "2024-11-03", now: Date(timeIntervalSince1970: 1_900_000_000))

    @Test("{hour} without {key} maps the two 01:00 hours of a fall-back day to one file")
    func fallBackHour() throws {
        let shared = try #require(SourceTemplate(path: "/d/data/{date}-{hour}.csv").sharedInput(among: Self.fallBack))
        #expect(shared.first.key == "2024-11-03T01:00-04:00")
        #expect(shared.second.key == "2024-11-03T01:00-05:00")
        #expect(shared.path == "/d/data/2024-11-03-01.csv")
    }

    @Test("{key}, a template without {hour}, and a range without the repeated hour share nothing")
    func noSharing() throws {
        #expect(SourceTemplate(path: "data/{key}.csv").sharedInput(among: Self.fallBack) == nil)
        #expect(SourceTemplate(path: "data/{date}-{hour}-{key}.csv").sharedInput(among: Self.fallBack) == nil)
        // One file per day on purpose: each hour's load keeps its own rows.
        #expect(SourceTemplate(path: "data/{date}.csv").sharedInput(among: Self.fallBack) == nil)
        let spring = try BackfillRange.partitions(
            PartitionScheme(granularity: .hour, timeZone: TimeZone(identifier: "America/New_York")!),
            from: "2024-03-10", to: "2024-03-10", now: Date(timeIntervalSince1970: 1_900_000_000))
        #expect(SourceTemplate(path: "data/{date}-{hour}.csv").sharedInput(among: spring) == nil)
    }
}
