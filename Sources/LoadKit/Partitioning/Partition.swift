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
        // One pass over the template: a backfill fills one path per partition, and six
        // `replacingOccurrences` calls (bridged through NSString on Linux) cost about 0.1 ms.
        guard template.utf8.contains(UInt8(ascii: "{")) else { return template }
        func pad(_ v: Int, _ width: Int, into out: inout String) {
            let s = String(v)
            if s.utf8.count < width { out += String(repeating: "0", count: width - s.utf8.count) }
            out += s
        }
        var out = ""
        out.reserveCapacity(template.utf8.count + 16)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let tail = rest[open...]
            if tail.hasPrefix("{date}") {
                pad(local.year, 4, into: &out); out += "-"; pad(local.month, 2, into: &out); out += "-"
                pad(local.day, 2, into: &out)
                rest = tail.dropFirst(6)
            } else if tail.hasPrefix("{year}") {
                pad(local.year, 4, into: &out); rest = tail.dropFirst(6)
            } else if tail.hasPrefix("{month}") {
                pad(local.month, 2, into: &out); rest = tail.dropFirst(7)
            } else if tail.hasPrefix("{day}") {
                pad(local.day, 2, into: &out); rest = tail.dropFirst(5)
            } else if tail.hasPrefix("{hour}") {
                pad(local.hour, 2, into: &out); rest = tail.dropFirst(6)
            } else if tail.hasPrefix("{key}") {
                out += key; rest = tail.dropFirst(5)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        out += rest
        return out
    }
}
