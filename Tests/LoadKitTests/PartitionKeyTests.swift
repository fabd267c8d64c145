import Foundation
import LoadKit
import Testing

/// The reasons `partition(forKey:)` gives for a malformed key, after the quoted key.
private let dayMessage = "is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"
private let monthMessage = "is not a month partition key (YYYY-MM, for example 2013-01)"
private let yearMessage = "is not a year partition key (YYYY, for example 2013)"
private let hourMessage = "is not an hour partition key (YYYY-MM-DDTHH:00±HH:MM, for example 2013-11-03T01:00-04:00)"

@Suite struct PartitionKeyTests {
    // MARK: - Valid keys

    @Test("Valid keys round-trip through partition(forKey:)", arguments: [
        (Granularity.year, "2013"), (.year, "2024"), (.year, "0999"),
        (.month, "2013-01"), (.month, "2013-12"), (.month, "2024-02"),
        (.day, "2013-01-05"), (.day, "2024-02-29"), (.day, "2013-12-31"), (.day, "2013-03-10"),
        (.hour, "2013-01-05T00:00-05:00"), (.hour, "2013-01-05T23:00-05:00"),
        (.hour, "2013-07-04T12:00-04:00"), (.hour, "2013-11-03T01:00-04:00"),
        (.hour, "2013-11-03T01:00-05:00"), (.hour, "2013-03-10T01:00-05:00"),
        (.hour, "2013-03-10T03:00-04:00"), (.hour, "2024-02-29T13:00-05:00"),
    ])
    func roundTrip(granularity: Granularity, key: String) throws {
        let s = try scheme(granularity, "America/New_York")
        let p = try s.partition(forKey: key)
        #expect(p.key == key)
        #expect(p.description == key)
        #expect(p.granularity == granularity)
        // The partition is the one that holds its own start instant.
        #expect(s.partition(containingUTC: p.start) == p)
    }

    @Test("Keys of every partition of 2013 in New York round-trip", arguments: Granularity.allCases)
    func everyPartitionOf2013(granularity: Granularity) throws {
        let s = try scheme(granularity, "America/New_York")
        let year = try scheme(.year, "America/New_York").partition(forKey: "2013")
        let all = s.partitions(from: s.partition(containingUTC: year.start),
                               through: s.partition(containingUTC: year.end - 1))
        let expected = [Granularity.hour: 8760, .day: 365, .month: 12, .year: 1][granularity]
        #expect(all.count == expected)
        var mismatches: [String] = []
        for p in all where (try? s.partition(forKey: p.key)) != p { mismatches.append(p.key) }
        #expect(mismatches == [])
    }

    @Test("29 February exists in 2024 but not in 2013")
    func leapDay() throws {
        let day = try scheme(.day, "America/New_York")
        #expect(try day.partition(forKey: "2024-02-29").key == "2024-02-29")
        let error = loadKitError { _ = try day.partition(forKey: "2013-02-29") }
        #expect(error?.code == .partitionKey)
        #expect(error?.description
            == "'2013-02-29' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)")
        let hour = try scheme(.hour, "America/New_York")
        #expect(try hour.partition(forKey: "2024-02-29T00:00-05:00").key == "2024-02-29T00:00-05:00")
        #expect(loadKitError { _ = try hour.partition(forKey: "2013-02-29T00:00-05:00") }?.description
            == "'2013-02-29T00:00-05:00' is not an hour partition key (YYYY-MM-DDTHH:00±HH:MM, for example 2013-11-03T01:00-04:00)")
    }

    // MARK: - Malformed keys

    @Test("Malformed keys are refused with the expected format", arguments: [
        (Granularity.day, "2013-1-5", dayMessage),
        (.day, "2013-01-5", dayMessage),
        (.day, "2013/01/05", dayMessage),
        (.day, "20130105", dayMessage),
        (.day, "2013-01-05 ", dayMessage),
        (.day, "2013-01-32", dayMessage),
        (.day, "2013-00-10", dayMessage),
        (.day, "2013-13-01", dayMessage),
        (.day, "", dayMessage),
        (.day, "2013-01", dayMessage),                        // a month key
        (.day, "2013-01-05T00:00-05:00", dayMessage),         // an hour key
        (.month, "2013-13", monthMessage),
        (.month, "2013-00", monthMessage),
        (.month, "2013-1", monthMessage),
        (.month, "2013/01", monthMessage),
        (.month, "2013-01-05", monthMessage),                 // a day key
        (.month, "2013", monthMessage),                       // a year key
        (.year, "13", yearMessage),
        (.year, "20x3", yearMessage),
        (.year, "2013-01", yearMessage),                      // a month key
        (.year, "02013", yearMessage),
        (.hour, "2013-11-03", hourMessage),                   // a day key
        (.hour, "2013-11-03T01", hourMessage),
        (.hour, "2013-11-03T01:30-05:00", hourMessage),       // not the start of an hour
        (.hour, "2013-11-03T24:00-05:00", hourMessage),
        (.hour, "2013-11-31T01:00-05:00", hourMessage),
        (.hour, "2013-13-03T01:00-05:00", hourMessage),
        (.hour, "2013-11-03 01:00-05:00", hourMessage),
        (.hour, "2013-11-03T01:00-05", hourMessage),
        (.hour, "2013-11-03T01:00-05:00:00", hourMessage),
    ])
    func malformed(granularity: Granularity, key: String, message: String) throws {
        let s = try scheme(granularity, "America/New_York")
        let error = loadKitError { _ = try s.partition(forKey: key) }
        #expect(error?.code == .partitionKey)
        #expect(error?.description == "'\(key)' \(message)")
        #expect(error?.isTransient == false)
    }

    @Test("The day key from the documentation example is refused with its exact message")
    func documentedMessage() throws {
        let error = loadKitError { _ = try scheme(.day, "America/New_York").partition(forKey: "2013-1-5") }
        #expect(error?.description == "'2013-1-5' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)")
    }

    // MARK: - Hours and offsets

    @Test("An hour key whose offset is not in force then is refused, naming the right key")
    func wrongOffset() throws {
        let s = try scheme(.hour, "America/New_York")
        let error = loadKitError { _ = try s.partition(forKey: "2013-01-05T01:00-04:00") }
        #expect(error?.code == .partitionKey)
        #expect(error?.description
            == "'2013-01-05T01:00-04:00' is not an hour of America/New_York; did you mean 2013-01-05T01:00-05:00?")
    }

    @Test("An hour key inside the spring-forward gap is refused, whatever its offset", arguments: [
        "2013-03-10T02:00-05:00", "2013-03-10T02:00-04:00",
    ])
    func skippedHourWithOffset(key: String) throws {
        let s = try scheme(.hour, "America/New_York")
        let error = loadKitError { _ = try s.partition(forKey: key) }
        #expect(error?.code == .partitionKey)
        #expect(error?.description
            == "'\(key)' is not an hour of America/New_York (skipped by a daylight-saving change)")
    }

    @Test("An hour key without an offset is accepted when the hour occurs once", arguments: [
        ("2013-11-03T05:00", "2013-11-03T05:00-05:00"),
        ("2013-11-03T00:00", "2013-11-03T00:00-04:00"),
        ("2013-11-03T02:00", "2013-11-03T02:00-05:00"),
        ("2013-03-10T01:00", "2013-03-10T01:00-05:00"),
        ("2013-03-10T03:00", "2013-03-10T03:00-04:00"),
        ("2013-07-04T12:00", "2013-07-04T12:00-04:00"),
    ])
    func hourWithoutOffset(key: String, full: String) throws {
        let s = try scheme(.hour, "America/New_York")
        let p = try s.partition(forKey: key)
        #expect(p.key == full)
        #expect(p == (try s.partition(forKey: full)))
    }

    @Test("The repeated hour of a fall-back day without an offset is refused, naming both keys")
    func ambiguousHour() throws {
        let s = try scheme(.hour, "America/New_York")
        let error = loadKitError { _ = try s.partition(forKey: "2013-11-03T01:00") }
        #expect(error?.code == .partitionKey)
        #expect(error?.description == "hour '2013-11-03T01:00' occurs twice in America/New_York; "
            + "name one: 2013-11-03T01:00-04:00 or 2013-11-03T01:00-05:00")
    }

    @Test("The skipped hour of a spring-forward day without an offset is refused")
    func skippedHour() throws {
        let s = try scheme(.hour, "America/New_York")
        let error = loadKitError { _ = try s.partition(forKey: "2013-03-10T02:00") }
        #expect(error?.code == .partitionKey)
        #expect(error?.description
            == "hour '2013-03-10T02:00' does not exist in America/New_York (skipped by a daylight-saving change)")
    }

    @Test("In UTC every hour key carries +00:00 and every hour exists")
    func utcHourKeys() throws {
        let s = try scheme(.hour, "UTC")
        #expect(try s.partition(forKey: "2013-03-10T02:00").key == "2013-03-10T02:00+00:00")
        #expect(try s.partition(forKey: "2013-11-03T01:00+00:00").key == "2013-11-03T01:00+00:00")
        // Foundation on Linux reports the identifier of TimeZone(identifier: "UTC") as "GMT";
        // messages say UTC, as the config does.
        #expect(loadKitError { _ = try s.partition(forKey: "2013-11-03T01:00-05:00") }?.description
            == "'2013-11-03T01:00-05:00' is not an hour of UTC; did you mean 2013-11-03T01:00+00:00?")
        #expect(s.timeZone.displayIdentifier == "UTC")
    }

    // MARK: - Template filling

    @Test("Templates are filled with the partition's zero-padded local fields", arguments: [
        (Granularity.hour, "2013-01-05T07:00-05:00",
         "2013-01-05/2013/01/05/07/2013-01-05T07:00-05:00"),
        (.hour, "2013-11-03T01:00-05:00",
         "2013-11-03/2013/11/03/01/2013-11-03T01:00-05:00"),
        (.hour, "2013-11-03T00:00-04:00",
         "2013-11-03/2013/11/03/00/2013-11-03T00:00-04:00"),
        (.day, "2013-01-05", "2013-01-05/2013/01/05/00/2013-01-05"),
        (.day, "2024-12-31", "2024-12-31/2024/12/31/00/2024-12-31"),
        (.month, "2013-02", "2013-02-01/2013/02/01/00/2013-02"),
        (.month, "2013-11", "2013-11-01/2013/11/01/00/2013-11"),
        (.year, "2013", "2013-01-01/2013/01/01/00/2013"),
        (.year, "0999", "0999-01-01/0999/01/01/00/0999"),
    ])
    func fill(granularity: Granularity, key: String, filled: String) throws {
        let p = try scheme(granularity, "America/New_York").partition(forKey: key)
        #expect(p.fill("{date}/{year}/{month}/{day}/{hour}/{key}") == filled)
    }

    @Test("A template may repeat placeholders and keep other text")
    func fillRepeats() throws {
        let p = try scheme(.day, "America/New_York").partition(forKey: "2013-01-05")
        #expect(p.fill("data/flights/{date}.csv") == "data/flights/2013-01-05.csv")
        #expect(p.fill("{year}{month}{day}-{year}.csv.gz") == "20130105-2013.csv.gz")
        #expect(p.fill("no placeholders {unknown}") == "no placeholders {unknown}")
    }

    @Test("Only {key} tells the two 01:00 hours of a fall-back day apart")
    func fillFallBack() throws {
        let s = try scheme(.hour, "America/New_York")
        let first = try s.partition(forKey: "2013-11-03T01:00-04:00")
        let second = try s.partition(forKey: "2013-11-03T01:00-05:00")
        #expect(first.fill("{date}T{hour}") == second.fill("{date}T{hour}"))
        #expect(first.fill("{key}") != second.fill("{key}"))
    }
}
