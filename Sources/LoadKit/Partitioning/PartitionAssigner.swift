/// Finds the partition of each row from its date or timestamp value, fast.
///
/// Rows usually arrive grouped by time, so the last partition's data interval is kept and
/// checked first; only a row outside it costs a time-zone lookup. Not `Sendable`: one per load.
public final class PartitionAssigner {
    /// The scheme the partitions belong to.
    public let scheme: PartitionScheme
    private var last: Partition?
    private var lastDay: Int?

    /// Creates an assigner for `scheme`.
    public init(scheme: PartitionScheme) {
        self.scheme = scheme
    }

    /// The partition of a stored date (`YYYY-MM-DD`) or timestamp (`YYYY-MM-DDTHH:MM:SS[.f]Z`)
    /// value; `nil` when the text is neither (it cannot be: the source parsed it).
    public func partition(ofStored text: String) -> Partition? {
        var text = text
        return text.withUTF8 { utf8 -> Partition? in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard let days = ValueParser.parseDate(bytes, from: 0) else { return nil }
            if bytes.count == 10 {
                if let last, lastDay == days { return last }
                let p = scheme.partition(containingLocalDay: days)
                last = p
                lastDay = days
                return p
            }
            guard bytes.count >= 20, let h = Self.two(bytes, 11), let m = Self.two(bytes, 14),
                  let s = Self.two(bytes, 17) else { return nil }
            let t = Int64(days) * 86_400 + Int64(h * 3600 + m * 60 + s)
            if let last, lastDay == nil, t >= last.start, t < last.end { return last }
            let p = scheme.partition(containingUTC: t)
            last = p
            lastDay = nil
            return p
        }
    }

    private static func two(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        let a = b[i] &- 48, c = b[i + 1] &- 48
        guard a < 10, c < 10 else { return nil }
        return Int(a) * 10 + Int(c)
    }
}
