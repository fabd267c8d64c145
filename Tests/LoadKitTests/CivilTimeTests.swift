import Foundation
import LoadKit
import Testing

@Suite struct CivilTimeTests {
    @Test("Known dates have their day counts since 1970-01-01", arguments: [
        (1970, 1, 1, 0), (1969, 12, 31, -1), (2000, 3, 1, 11_017), (2013, 1, 1, 15_706),
        (2024, 2, 29, 19_782), (1600, 2, 29, -135_081), (1, 1, 1, -719_162), (9999, 12, 31, 2_932_896),
    ])
    func knownDays(year: Int, month: Int, day: Int, days: Int) {
        #expect(CivilTime.days(year: year, month: month, day: day) == days)
        #expect(CivilTime.date(days: days) == (year, month, day))
    }

    @Test("Every day from 0001-01-01 to 9999-12-31 round-trips and follows the day before")
    func roundTrips() {
        let first = CivilTime.days(year: 1, month: 1, day: 1)
        let last = CivilTime.days(year: 9999, month: 12, day: 31)
        var previous = (year: 0, month: 12, day: 31)
        var failures: [Int] = []
        for days in first...last {
            let d = CivilTime.date(days: days)
            let follows = d.day == previous.day + 1 && d.month == previous.month && d.year == previous.year
                || d.day == 1 && previous.day == CivilTime.daysInMonth(year: previous.year, month: previous.month)
                    && (d.month == previous.month + 1 && d.year == previous.year
                        || d.month == 1 && previous.month == 12 && d.year == previous.year + 1)
            if !follows || CivilTime.days(year: d.year, month: d.month, day: d.day) != days {
                failures.append(days)
                if failures.count > 10 { break }
            }
            previous = d
        }
        #expect(failures == [])
        #expect(previous == (9999, 12, 31))
    }

    @Test("Dates agree with Foundation's Gregorian calendar")
    func matchesFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        var mismatches: [Int] = []
        for days in stride(from: -141_427, through: 2_932_896, by: 997) {   // 1582-10-15 onwards
            let date = Date(timeIntervalSince1970: TimeInterval(days) * 86_400)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            if CivilTime.date(days: days) != (parts.year!, parts.month!, parts.day!) { mismatches.append(days) }
        }
        #expect(mismatches == [])
    }

    @Test("Leap years follow the Gregorian rule", arguments: [
        (2024, true), (2023, false), (2000, true), (1900, false), (2100, false), (2400, true), (4, true),
    ])
    func leapYears(year: Int, leap: Bool) {
        #expect(CivilTime.isLeap(year) == leap)
        #expect(CivilTime.daysInMonth(year: year, month: 2) == (leap ? 29 : 28))
    }

    @Test("Month lengths")
    func monthLengths() {
        #expect((1...12).map { CivilTime.daysInMonth(year: 2013, month: $0) }
            == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    }

    @Test("Dates and UTC instants are formatted with fixed widths", arguments: [
        (0, "1970-01-01"), (-1, "1969-12-31"), (19_782, "2024-02-29"), (-719_162, "0001-01-01"),
        (2_932_896, "9999-12-31"),
    ])
    func formatDate(days: Int, text: String) {
        #expect(CivilTime.formatDate(days: days) == text)
    }

    @Test("UTC instants are formatted with seconds, before and after the epoch, with a fraction when given",
          arguments: [
              (0, "", "1970-01-01T00:00:00Z"), (-1, "", "1969-12-31T23:59:59Z"),
              (-86_400, "", "1969-12-31T00:00:00Z"), (-86_401, "5", "1969-12-30T23:59:59.5Z"),
              (1_357_016_400, "12", "2013-01-01T05:00:00.12Z"), (951_782_400, "", "2000-02-29T00:00:00Z"),
          ] as [(Int64, String, String)])
    func formatUTC(seconds: Int64, fraction: String, text: String) {
        #expect(CivilTime.formatUTC(seconds: seconds, fraction: ArraySlice(fraction.utf8)) == text)
    }
}
