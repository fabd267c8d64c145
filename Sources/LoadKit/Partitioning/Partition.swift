import Foundation

/// One partition: its key and the UTC data interval `[start, end)` it covers.
///
/// Keys (SPEC.md §2): year `2013`, month `2013-01`, day `2013-01-01`, hour
/// `2013-11-03T01:00-04:00` (the local start of the hour with its UTC offset, so the repeated
/// hour of a fall-back day is two partitions). Keys of one granularity sort as their intervals.
public struct Partition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The partition key, as stored in the partition key column and the ledger.
    public let key: String
    /// The granularity the key belongs to.
    public let granularity: Granularity
    /// The first instant, in seconds since the Unix epoch (inclusive).
    public let start: Int64
    /// The instant after the last, in seconds since the Unix epoch (exclusive).
    public let end: Int64
    /// The local calendar fields of the partition's start: year, month (1...12), day (1...31),
    /// hour (0...23); used to fill source path templates.
    public let local: (year: Int, month: Int, day: Int, hour: Int)

    public static func == (a: Partition, b: Partition) -> Bool {
        a.key == b.key && a.granularity == b.granularity && a.start == b.start && a.end == b.end
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(start)
    }

    /// Orders partitions by their start instant.
    public static func < (a: Partition, b: Partition) -> Bool { a.start < b.start }

    public var description: String { key }

    /// The length of the data interval in seconds (23 or 25 hours for a DST day's day partition).
    public var seconds: Int64 { end - start }

    /// Fills `{date} {year} {month} {day} {hour} {key}` in a source path template with this
    /// partition's local, zero-padded fields (SPEC.md §2).
    public func fill(_ template: String) -> String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let date = "\(pad(local.year, 4))-\(pad(local.month, 2))-\(pad(local.day, 2))"
        var out = template
        for (name, value) in [("{date}", date), ("{year}", pad(local.year, 4)), ("{month}", pad(local.month, 2)),
                              ("{day}", pad(local.day, 2)), ("{hour}", pad(local.hour, 2)), ("{key}", key)] {
            out = out.replacingOccurrences(of: name, with: value)
        }
        return out
    }
}
