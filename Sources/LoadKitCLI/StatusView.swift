import LoadKit
import LoadKitProject

/// Draws partition states for people: month calendars for days, a grid for hours, a list for
/// months and years. Plain text without escape codes unless `color`.
struct StatusView {
    let color: Bool

    static let symbols: [PartitionState: String] = [.loaded: "■", .failed: "✗", .missing: "·", .stale: "~", .running: "▶",
                                                  .waiting: "…", .late: "!", .queued: "○"]
    static let colors: [PartitionState: String] = [.loaded: "32", .failed: "31", .missing: "2", .stale: "33", .running: "36",
                                                 .waiting: "34", .late: "35", .queued: "36"]

    func cell(_ state: PartitionState) -> String {
        let symbol = Self.symbols[state]!
        return color ? "\u{1B}[\(Self.colors[state]!)m\(symbol)\u{1B}[0m" : symbol
    }

    /// The legend; `waiting` and `late` only for a scheduled table (`scheduled`), `queued` only
    /// when a partition is on the queue.
    func legend(scheduled: Bool = false, queued: Bool = false) -> String {
        "legend: \(cell(.loaded)) loaded  \(cell(.failed)) failed  \(cell(.missing)) missing  \(cell(.stale)) stale (source or definition changed)  \(cell(.running)) running"
            + (scheduled ? "  \(cell(.waiting)) waiting (source not there yet)  \(cell(.late)) late" : "")
            + (queued ? "  \(cell(.queued)) queued" : "")
    }

    func render(table: String, scheme: PartitionScheme, partitions: [Partition], states: [PartitionStatus]) -> String {
        guard !partitions.isEmpty else { return "\(table): no partitions loaded or attempted yet\n" }
        let byKey = Dictionary(uniqueKeysWithValues: states.map { ($0.partition, $0) })
        var out = "\(table) (\(scheme.granularity.rawValue) partitions, \(scheme.timeZone.displayIdentifier)) "
            + "\(partitions.first!.key) .. \(partitions.last!.key)\n"
        switch scheme.granularity {
        case .day: out += calendars(partitions, byKey)
        case .hour: out += hourGrid(partitions, byKey)
        case .month, .year:
            for p in partitions {
                let s = byKey[p.key]!
                out += "\(p.key)  \(cell(s.state)) \(s.state.rawValue)" + (s.rows.map { "  " + Count.of($0, "row") } ?? "") + "\n"
            }
        }
        let counts = Dictionary(grouping: states, by: \.state).mapValues(\.count)
        out += legend(scheduled: counts[.waiting] != nil || counts[.late] != nil, queued: counts[.queued] != nil) + "\n"
        let always: Set<PartitionState> = [.loaded, .failed, .missing, .stale]
        let shown: [PartitionState] = [.loaded, .failed, .missing, .stale, .running, .queued, .waiting, .late]
            .filter { always.contains($0) || counts[$0] != nil }
        out += shown.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + "\n"
        for s in states where s.state == .failed {
            let holds = s.rows.map { "keeps \(Count.of($0, "row")) of the load at \(s.loadedAt ?? "?")" } ?? "holds nothing"
            out += "failed \(s.partition) (\(holds)): \(s.error ?? "")\n"
        }
        for s in states where s.state == .late {
            out += "late \(s.partition): \(s.reason ?? "not loaded")\n"
        }
        let stale = Dictionary(grouping: states.filter { $0.state == .stale }, by: { $0.reason ?? "changed" })
        for (reason, group) in stale.sorted(by: { $0.key < $1.key }) {
            let range = group.count == 1 ? group[0].partition : "\(group.first!.partition) … \(group.last!.partition)"
            out += "stale \(range) (\(group.count) partition\(group.count == 1 ? "" : "s")): \(reason)\n"
        }
        return out
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    /// One calendar per month: weeks from Monday, a cell per day of the range.
    private func calendars(_ partitions: [Partition], _ byKey: [String: PartitionStatus]) -> String {
        var out = ""
        var months: [(year: Int, month: Int)] = []
        for p in partitions where months.last.map({ $0 != (p.local.year, p.local.month) }) ?? true {
            months.append((p.local.year, p.local.month))
        }
        for (year, month) in months {
            out += "\n\(Self.monthNames[month - 1]) \(year)\n Mo  Tu  We  Th  Fr  Sa  Su\n"
            let first = CivilTime.days(year: year, month: month, day: 1)
            // 1970-01-01 was a Thursday: weekday 0 = Monday.
            let weekday = ((first % 7) + 7 + 3) % 7
            var line = String(repeating: "    ", count: weekday)
            for day in 1...CivilTime.daysInMonth(year: year, month: month) {
                let key = CivilTime.formatDate(days: first + day - 1)
                let mark = byKey[key].map { cell($0.state) } ?? " "
                line += (day < 10 ? " " : "") + "\(day)" + mark + " "
                if (weekday + day) % 7 == 0 {
                    out += line.trailingSpacesTrimmed + "\n"
                    line = ""
                }
            }
            if !line.isEmpty { out += line.trailingSpacesTrimmed + "\n" }
        }
        return out + "\n"
    }

    /// A row per local day, a cell per hour partition (23 or 25 on DST days).
    private func hourGrid(_ partitions: [Partition], _ byKey: [String: PartitionStatus]) -> String {
        var out = "            hours 00 → 23\n"
        var day = ""
        var line = ""
        for p in partitions {
            let date = String(p.key.prefix(10))
            if date != day {
                if !line.isEmpty { out += line + "\n" }
                day = date
                line = date + "  "
            }
            line += cell(byKey[p.key]!.state)
        }
        return out + line + "\n\n"
    }
}

extension String {
    var trailingSpacesTrimmed: String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
