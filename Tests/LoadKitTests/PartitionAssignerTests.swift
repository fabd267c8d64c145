import Foundation
import LoadKit
import Testing

@Suite struct PartitionAssignerTests {
    @Test("Stored timestamps fall into the New York day of their instant", arguments: [
        ("2013-01-01T04:59:59Z", "2012-12-31"),
        ("2013-01-01T05:00:00Z", "2013-01-01"),
        ("2013-01-01T04:59:59.999Z", "2012-12-31"),
        ("2013-01-01T05:00:00.5Z", "2013-01-01"),
        ("2013-01-01T05:00:00.000001Z", "2013-01-01"),
        ("2013-01-02T04:59:59.999999Z", "2013-01-01"),
        ("2013-03-11T03:59:59Z", "2013-03-10"),
        ("2013-03-11T04:00:00Z", "2013-03-11"),
        ("2013-11-04T04:59:59Z", "2013-11-03"),
        ("2013-11-04T05:00:00Z", "2013-11-04"),
        ("1969-12-31T23:59:59Z", "1969-12-31"),
        ("1969-12-31T04:59:59Z", "1969-12-30"),
    ])
    func timestampsByDay(stored: String, key: String) throws {
        let assigner = PartitionAssigner(scheme: try scheme(.day, "America/New_York"))
        #expect(assigner.partition(ofStored: stored)?.key == key)
    }

    @Test("Stored timestamps fall into their hour, the repeated hour split by offset", arguments: [
        ("2013-11-03T04:59:59Z", "2013-11-03T00:00-04:00"),
        ("2013-11-03T05:00:00Z", "2013-11-03T01:00-04:00"),
        ("2013-11-03T05:59:59.9Z", "2013-11-03T01:00-04:00"),
        ("2013-11-03T06:00:00Z", "2013-11-03T01:00-05:00"),
        ("2013-11-03T07:00:00Z", "2013-11-03T02:00-05:00"),
        ("2013-03-10T06:59:59Z", "2013-03-10T01:00-05:00"),
        ("2013-03-10T07:00:00Z", "2013-03-10T03:00-04:00"),
    ])
    func timestampsByHour(stored: String, key: String) throws {
        let assigner = PartitionAssigner(scheme: try scheme(.hour, "America/New_York"))
        #expect(assigner.partition(ofStored: stored)?.key == key)
    }

    @Test("Stored dates are local days: the date is the partition's day, month or year", arguments: [
        (Granularity.day, "2013-01-01", "2013-01-01"),
        (.day, "2024-02-29", "2024-02-29"),
        (.day, "2013-03-10", "2013-03-10"),
        (.month, "2013-01-31", "2013-01"),
        (.month, "2024-02-29", "2024-02"),
        (.year, "2013-12-31", "2013"),
        (.year, "2014-01-01", "2014"),
    ])
    func dates(granularity: Granularity, stored: String, key: String) throws {
        let assigner = PartitionAssigner(scheme: try scheme(granularity, "America/New_York"))
        #expect(assigner.partition(ofStored: stored)?.key == key)
    }

    @Test("Month and year partitions of stored timestamps", arguments: [
        (Granularity.month, "2013-02-01T04:59:59Z", "2013-01"),
        (.month, "2013-02-01T05:00:00Z", "2013-02"),
        (.year, "2014-01-01T04:59:59Z", "2013"),
        (.year, "2014-01-01T05:00:00Z", "2014"),
    ])
    func coarseTimestamps(granularity: Granularity, stored: String, key: String) throws {
        let assigner = PartitionAssigner(scheme: try scheme(granularity, "America/New_York"))
        #expect(assigner.partition(ofStored: stored)?.key == key)
    }

    @Test("Text that is neither a stored date nor a stored timestamp has no partition", arguments: [
        "", "2013", "2013-1-01", "2013-13-01", "2013-02-30", "2013-01-01T", "2013-01-01T05:00Z",
        "2013-01-01T5:00:00Z", "2013-01-01Tab:00:00Z", "not a date at all",
    ])
    func notStored(text: String) throws {
        let assigner = PartitionAssigner(scheme: try scheme(.day, "America/New_York"))
        #expect(assigner.partition(ofStored: text) == nil)
    }

    @Test("The cache never returns a stale partition when values jump back and forth")
    func cacheIsNotStale() throws {
        for granularity in Granularity.allCases {
            let s = try scheme(granularity, "America/New_York")
            let assigner = PartitionAssigner(scheme: s)
            var values = [
                "2013-01-01T04:59:59Z", "2013-01-01T05:00:00Z", "2013-01-01T04:59:59Z",
                "2013-01-01T05:00:00.5Z", "2013-01-01T04:59:59.5Z", "2013-01-02T04:59:59Z",
                "2013-01-02T05:00:00Z", "2013-01-01T12:00:00Z", "2012-12-31T12:00:00Z",
                "2013-11-03T05:30:00Z", "2013-11-03T06:30:00Z", "2013-11-03T05:30:00Z",
                "2013-11-03T06:30:00Z", "2013-11-04T04:59:59Z", "2013-11-04T05:00:00Z",
                "2013-11-03T04:59:59Z", "2014-01-01T05:00:00Z", "2013-12-31T23:00:00Z",
            ]
            if granularity != .hour {
                values += [
                    "2013-01-01", "2013-01-02", "2013-01-01", "2013-01-01T12:00:00Z", "2013-01-01",
                    "2013-01-01T04:59:59Z", "2013-01-01", "2012-12-31", "2013-01-01", "2014-01-01",
                    "2013-12-31", "2013-12-31T12:00:00Z", "2013-12-31", "2014-01-01T04:00:00Z",
                ]
            }
            var wrong: [String] = []
            for text in values {
                let fresh = PartitionAssigner(scheme: s).partition(ofStored: text)
                let cached = assigner.partition(ofStored: text)
                if cached == nil || cached != fresh {
                    wrong.append("\(granularity) \(text): \(cached?.key ?? "nil"), not \(fresh?.key ?? "nil")")
                }
            }
            #expect(wrong == [])
        }
    }

    @Test("Cached and uncached assignment agree for every hour of a year in several zones", arguments: [
        "America/New_York", "Asia/Kolkata", "UTC", "America/Sao_Paulo",
    ])
    func cacheAgreesOverAYear(zone: String) throws {
        let s = try scheme(.day, zone)
        let assigner = PartitionAssigner(scheme: s)
        let start = utcInstant("2018-01-01T00:00:00Z")
        var wrong: [String] = []
        // Every 20 minutes through 2018, with a jump back a day every so often.
        var t = start
        var step = 0
        while t < start + 365 * 86_400 {
            step += 1
            let instant = step % 37 == 0 ? t - 86_400 : t
            let text = utcText(instant)
            let expected = s.partition(containingUTC: instant)
            if assigner.partition(ofStored: text) != expected {
                wrong.append(text)
                if wrong.count > 10 { break }
            }
            t += 1200
        }
        #expect(wrong == [])
    }

    @Test("The assigner keeps the scheme it was made for")
    func keepsScheme() throws {
        let s = try scheme(.month, "Asia/Kolkata")
        #expect(PartitionAssigner(scheme: s).scheme == s)
    }
}
