import Foundation
import LoadKit
import Testing

@Suite struct BackfillRangeTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let daily = PartitionScheme(granularity: .day, timeZone: utc)

    static func instant(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    @Test("January 2024 day by day is 31 partitions, first and last included")
    func january() throws {
        let days = try BackfillRange.partitions(Self.daily, from: "2024-01-01", to: "2024-01-31", now: Date())
        #expect(days.count == 31)
        #expect(days.first?.key == "2024-01-01")
        #expect(days.last?.key == "2024-01-31")
        #expect(days.map(\.key) == (1...31).map { RunnerEventsWarehouse.key($0) })
        #expect(zip(days, days.dropFirst()).allSatisfy { $0.end == $1.start })
    }

    @Test("27 February to 1 March 2024 is 4 days: 2024 is a leap year")
    func leapYear() throws {
        let days = try BackfillRange.partitions(Self.daily, from: "2024-02-27", to: "2024-03-01", now: Date())
        #expect(days.map(\.key) == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"])
        let common = try BackfillRange.partitions(Self.daily, from: "2023-02-27", to: "2023-03-01", now: Date())
        #expect(common.map(\.key) == ["2023-02-27", "2023-02-28", "2023-03-01"])
    }

    @Test("A single partition: from equals to")
    func single() throws {
        #expect(try BackfillRange.partitions(Self.daily, from: "2024-01-05", to: "2024-01-05", now: Date()).map(\.key)
            == ["2024-01-05"])
    }

    @Test("Monthly 2024-01 through 2024-12 is 12 partitions")
    func monthly() throws {
        let scheme = PartitionScheme(granularity: .month, timeZone: Self.utc)
        let months = try BackfillRange.partitions(scheme, from: "2024-01", to: "2024-12", now: Date())
        #expect(months.map(\.key) == (1...12).map { $0 < 10 ? "2024-0\($0)" : "2024-\($0)" })
        #expect(months[1].seconds == 29 * 86_400)
    }

    @Test("Hourly over the New York DST days: 23 hours in spring, 25 in autumn with both 01:00 hours",
          arguments: [("2013-03-10T00:00-05:00", "2013-03-10T23:00-04:00", 23),
                      ("2013-11-03T00:00-04:00", "2013-11-03T23:00-05:00", 25)])
    func dstHours(from: String, to: String, count: Int) throws {
        let scheme = PartitionScheme(granularity: .hour, timeZone: Self.newYork)
        let hours = try BackfillRange.partitions(scheme, from: from, to: to, now: Date())
        #expect(hours.count == count)
        #expect(hours.first?.key == from)
        #expect(hours.last?.key == to)
        #expect(Set(hours.map(\.key)).count == count)
        #expect(hours.allSatisfy { $0.seconds == 3600 })
        if count == 23 {
            #expect(!hours.contains { $0.key.hasPrefix("2013-03-10T02:") })
        } else {
            #expect(hours.filter { $0.key.hasPrefix("2013-11-03T01:00") }.map(\.key)
                == ["2013-11-03T01:00-04:00", "2013-11-03T01:00-05:00"])
        }
    }

    @Test("A plan of a backfill has each selected task once per partition, unpartitioned upstream tasks once")
    func plan() throws {
        let noop: @Sendable (TaskContext) throws -> RunTask.Outcome = { _ in .done(rows: 0) }
        let graph = try TaskGraph([
            RunTask(name: "airlines", partitioned: false, action: noop),
            RunTask(name: "flights", dependsOn: ["airlines"], action: noop),
            RunTask(name: "daily", dependsOn: ["flights"], action: noop),
            RunTask(name: "other", action: noop),
        ])
        let days = try BackfillRange.partitions(Self.daily, from: "2024-01-01", to: "2024-01-31", now: Date())
        let plan = RunPlan(graph: graph, tasks: ["daily"], partitions: days)
        #expect(plan.items.count == 1 + 31 + 31)
        #expect(plan.items.filter { $0.task == "airlines" } == [RunPlan.Item(task: "airlines", partition: nil)])
        #expect(plan.items.filter { $0.task == "flights" }.map(\.partition) == days)
        #expect(!plan.items.contains { $0.task == "other" })
        let alone = RunPlan(graph: graph, tasks: ["daily"], partitions: days, upstream: false)
        #expect(alone.items.map(\.task) == Array(repeating: "daily", count: 31))
    }

    @Test("--to before --from is an error that names both keys")
    func reversed() throws {
        #expect {
            _ = try BackfillRange.partitions(Self.daily, from: "2024-01-31", to: "2024-01-01", now: Date())
        } throws: { error in
            let error = error as? LoadKitError
            return error?.code == .partitionKey && error?.description == "--to 2024-01-01 is before --from 2024-01-31"
        }
    }

    @Test("A malformed key is a partition key error")
    func malformed() throws {
        #expect {
            _ = try BackfillRange.partitions(Self.daily, from: "2024-1-01", to: nil, now: Date())
        } throws: { error in
            (error as? LoadKitError)?.description == "'2024-1-01' is not a day partition key (YYYY-MM-DD, for example 2013-01-05)"
        }
    }

    @Test("Without --to, the range ends at the last partition complete before now",
          arguments: [
            ("2024-01-05T12:00:00Z", "UTC", "2024-01-04"),
            ("2024-01-05T00:00:00Z", "UTC", "2024-01-04"),   // the 4th ended exactly now
            ("2024-01-04T23:59:59Z", "UTC", "2024-01-03"),
            ("2024-01-05T03:00:00Z", "America/New_York", "2024-01-03"),  // 22:00 on the 4th in New York
          ])
    func defaultTo(now: String, zone: String, last: String) throws {
        let scheme = PartitionScheme(granularity: .day, timeZone: TimeZone(identifier: zone)!)
        let days = try BackfillRange.partitions(scheme, from: "2024-01-01", to: nil, now: Self.instant(now))
        #expect(days.first?.key == "2024-01-01")
        #expect(days.last?.key == last)
        #expect(days.count == Int(last.suffix(2))!)
    }

    @Test("Without --to, nothing is complete yet when now is inside the first partition: an empty range, no error")
    func nothingComplete() throws {
        let inside = try BackfillRange.partitions(Self.daily, from: "2024-01-05", to: nil,
                                                  now: Self.instant("2024-01-05T18:00:00Z"))
        #expect(inside.isEmpty)
        let future = try BackfillRange.partitions(Self.daily, from: "2024-02-01", to: nil,
                                                  now: Self.instant("2024-01-05T18:00:00Z"))
        #expect(future.isEmpty)
    }
}
