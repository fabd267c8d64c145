import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// One writer of the crash matrix: how the table is declared and how the load under test is
/// run through `loadkit load`.
enum Writer: String, CaseIterable, Sendable {
    /// `write: replace`, `--partition KEY`.
    case staticReplace
    /// `write: replace`, `--input FILE`.
    case dynamicReplace
    /// `write: append`, `--partition KEY`.
    case appendPartition
    /// `write: append`, `--input FILE`.
    case appendInput
    /// An unpartitioned table, `write: replace`, no flag.
    case wholeTable

    var mode: WriteMode { self == .appendPartition || self == .appendInput ? .append : .replace }
}

/// A partition as the tests know it, written out by hand: key and UTC data interval
/// `[start, end)`, so the expectations do not come from the code under test.
struct KnownPartition: Sendable {
    var key: String
    var start: String
    var end: String

    func rows(_ count: Int, firstID: Int, offset: Double) -> [EventRow] {
        eventRows(from: UTCText.seconds(start), to: UTCText.seconds(end), count: count, firstID: firstID, offset: offset)
    }
}

/// A writer × granularity case of the crash matrix, with its data: the partition P under test,
/// a second partition Q (in the dynamic and input-append batches), and R, loaded first from
/// another file and never touched again.
struct WriterScenario: Sendable, CustomTestStringConvertible {
    var writer: Writer
    var granularity: Granularity?
    /// The warehouse's destination.
    var destination: TestDestination = .sqlite
    /// The table's `retry.attempts` (delays of 10 ms): 1, so an injected error fails the run at once.
    var attempts = 1
    /// A forced write strategy (`LOADKIT_WRITE_STRATEGY`); `nil`: the loader's own choice, which
    /// for the replace writers is ``WriteStrategy/direct``.
    var strategy: WriteStrategy?

    var testDescription: String {
        "\(writer.rawValue)" + (granularity.map { " by \($0.rawValue)" } ?? "") + (strategy.map { ", \($0.rawValue)" } ?? "")
            + " on \(destination.testDescription)"
    }

    /// `scenarios` on every available destination (``TestDestination/available``): all of them
    /// on SQLite; on PostgreSQL those by hour, by day and unpartitioned. To a destination a
    /// partition key is opaque text (PostgreSQL names a partition by a hash of it and binds it as
    /// a literal), so month and year keys exercise nothing the day keys do not, and leaving them
    /// out keeps the PostgreSQL cases from doubling the suite's time.
    static func onEveryDestination(_ scenarios: [WriterScenario]) -> [WriterScenario] {
        TestDestination.available.flatMap { destination in
            scenarios.filter { destination == .sqlite || $0.granularity == nil || $0.granularity == .day || $0.granularity == .hour }
                .map { var scenario = $0; scenario.destination = destination; return scenario }
        }
    }

    /// Every writer with every granularity; the whole-table replace without one.
    static let all: [WriterScenario] = Writer.allCases.flatMap { writer -> [WriterScenario] in
        writer == .wholeTable ? [WriterScenario(writer: writer, granularity: nil)]
            : Granularity.allCases.map { WriterScenario(writer: writer, granularity: $0) }
    }

    /// The replace writers forced to stage (by day; the whole table unpartitioned): the
    /// strategy a dynamic replace falls back to, kept crash-safe too.
    static let stagedReplace: [WriterScenario] = [
        WriterScenario(writer: .staticReplace, granularity: .day, strategy: .staged),
        WriterScenario(writer: .dynamicReplace, granularity: .day, strategy: .staged),
        WriterScenario(writer: .wholeTable, granularity: nil, strategy: .staged),
    ]

    /// The child's extra environment.
    var environment: [String: String] {
        strategy.map { ["LOADKIT_WRITE_STRATEGY": $0.rawValue] } ?? [:]
    }

    /// P, Q, R in America/New_York: DST days and the repeated 01:00 hour of 2013-11-03 on purpose.
    var partitions: (p: KnownPartition, q: KnownPartition, r: KnownPartition) {
        switch granularity ?? .day {
        case .hour:
            return (KnownPartition(key: "2013-11-03T01:00-05:00", start: "2013-11-03T06:00:00Z", end: "2013-11-03T07:00:00Z"),
                    KnownPartition(key: "2013-11-03T01:00-04:00", start: "2013-11-03T05:00:00Z", end: "2013-11-03T06:00:00Z"),
                    KnownPartition(key: "2013-11-03T02:00-05:00", start: "2013-11-03T07:00:00Z", end: "2013-11-03T08:00:00Z"))
        case .day:
            return (KnownPartition(key: "2013-03-10", start: "2013-03-10T05:00:00Z", end: "2013-03-11T04:00:00Z"),
                    KnownPartition(key: "2013-03-09", start: "2013-03-09T05:00:00Z", end: "2013-03-10T05:00:00Z"),
                    KnownPartition(key: "2013-11-03", start: "2013-11-03T04:00:00Z", end: "2013-11-04T05:00:00Z"))
        case .month:
            return (KnownPartition(key: "2013-03", start: "2013-03-01T05:00:00Z", end: "2013-04-01T04:00:00Z"),
                    KnownPartition(key: "2013-02", start: "2013-02-01T05:00:00Z", end: "2013-03-01T05:00:00Z"),
                    KnownPartition(key: "2013-11", start: "2013-11-01T04:00:00Z", end: "2013-12-01T05:00:00Z"))
        case .year:
            return (KnownPartition(key: "2013", start: "2013-01-01T05:00:00Z", end: "2014-01-01T05:00:00Z"),
                    KnownPartition(key: "2012", start: "2012-01-01T05:00:00Z", end: "2013-01-01T05:00:00Z"),
                    KnownPartition(key: "2014", start: "2014-01-01T05:00:00Z", end: "2015-01-01T05:00:00Z"))
        }
    }

    /// The table as `loadkit.yml` declares it, for fingerprints and ledger checks.
    var table: TargetTable {
        get throws {
            try TargetTable(name: "events", schema: EventsFixture.schema,
                            partitioning: granularity.map {
                                .init(column: "event_date", scheme: PartitionScheme(granularity: $0, timeZone: EventsFixture.newYork),
                                      sourceColumn: "ts")
                            },
                            writeMode: writer.mode)
        }
    }

    var yaml: String {
        var text = """
            warehouse: warehouse.db
            timezone: UTC
            tables:
              events:
                source:
                  path: "\(writer == .wholeTable ? "data/events.csv" : "data/events-{key}.csv")"
                columns: { id: integer, ts: timestamp, v: real }
                write: \(writer.mode.rawValue)
                retry: { attempts: \(attempts), initial_delay: 10ms, max_delay: 10ms }

            """
        if let granularity {
            text += """
                    partition: { column: event_date, granularity: \(granularity.rawValue), from: ts, timezone: America/New_York }

                """
        }
        return text
    }

    /// The file the load under test reads.
    var sourceFile: String {
        switch writer {
        case .staticReplace, .appendPartition: return "data/events-\(partitions.p.key).csv"
        case .dynamicReplace, .appendInput: return "data/batch.csv"
        case .wholeTable: return "data/events.csv"
        }
    }

    /// The arguments of the load under test.
    var arguments: [String] {
        switch writer {
        case .staticReplace, .appendPartition: return ["--table", "events", "--partition", partitions.p.key]
        case .dynamicReplace, .appendInput: return ["--table", "events", "--input", "data/batch.csv"]
        case .wholeTable: return ["--table", "events"]
        }
    }

    /// The rows of the load under test in version 1 or 2, with their partition keys.
    func content(version: Int) -> [(key: String?, rows: [EventRow])] {
        let (p, q, _) = partitions
        let offset = version == 1 ? 0.0 : 100.0
        let pRows = p.rows(version == 1 ? 5 : 7, firstID: 100, offset: offset)
        let qRows = q.rows(version == 1 ? 3 : 4, firstID: 200, offset: offset)
        switch writer {
        case .staticReplace, .appendPartition: return [(p.key, pRows)]
        case .dynamicReplace, .appendInput: return [(q.key, qRows), (p.key, pRows)]
        case .wholeTable: return [(nil, qRows + pRows)]
        }
    }

    /// The rows of R, loaded first from `data/other.csv`.
    var otherRows: [EventRow] { partitions.r.rows(3, firstID: 1, offset: 0.5) }

    /// The load id the load under test writes its rows with (append) or is locked by.
    var loadID: String {
        switch writer {
        case .staticReplace, .appendPartition:
            return LoadID.make(table: "events", mode: writer.mode, scope: .partition(partitions.p.key))
        case .dynamicReplace, .appendInput:
            return LoadID.make(table: "events", mode: writer.mode, scope: .input("data/batch.csv"))
        case .wholeTable:
            return LoadID.make(table: "events", mode: .replace, scope: .table)
        }
    }

    var otherLoadID: String {
        LoadID.make(table: "events", mode: writer.mode, scope: writer.mode == .append ? .input("data/other.csv")
                        : .partition(partitions.r.key))
    }

    /// Creates the project, loads R (not for the whole table) and writes version `version` of
    /// the source.
    func makeProject(version: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIProject {
        let project = try CLIProject(yaml: yaml, on: destination)
        if writer != .wholeTable {
            try project.write("data/other.csv", eventsCSV(otherRows))
            let setup = try project.load(["--table", "events", "--input", "data/other.csv"], sourceLocation: sourceLocation)
            try #require(setup.status == 0, "setup load failed: \(setup.stderr)", sourceLocation: sourceLocation)
        }
        try writeSource(project, version: version)
        return project
    }

    func writeSource(_ project: CLIProject, version: Int) throws {
        try project.write(sourceFile, eventsCSV(content(version: version).flatMap(\.rows)))
    }

    /// The stored rows expected once version `version` is loaded (R included).
    func expectedRows(version: Int) -> [[Value]] {
        var rows: [[Value]] = []
        if writer != .wholeTable {
            rows += otherRows.map { storedEvent($0, key: partitions.r.key, loadID: writer.mode == .append ? otherLoadID : nil) }
        }
        for (key, part) in content(version: version) {
            rows += part.map { storedEvent($0, key: key, loadID: writer.mode == .append ? loadID : nil) }
        }
        return rows
    }

    /// The ledger expected once version `version` is loaded from `project`'s files.
    func expectedLedger(version: Int, project: CLIProject) throws -> Set<LedgerRow> {
        var ledger: Set<LedgerRow> = []
        let source = try sha256(ofFile: project.dir.path(sourceFile))
        let append = writer.mode == .append
        if writer != .wholeTable {
            let r = partitions.r
            let rows = otherRows.map { storedEvent($0, key: r.key, loadID: append ? otherLoadID : nil) }
            ledger.insert(LedgerRow(key: append ? nil : r.key, loadID: otherLoadID, mode: writer.mode,
                                    fingerprint: fingerprint(of: rows), source: try sha256(ofFile: project.dir.path("data/other.csv"))))
        }
        let parts = content(version: version)
        switch writer {
        case .staticReplace, .dynamicReplace:
            for (key, part) in parts {
                ledger.insert(LedgerRow(key: key, loadID: LoadID.make(table: "events", mode: .replace, scope: .partition(key!)),
                                        mode: .replace, fingerprint: fingerprint(of: part.map { storedEvent($0, key: key) }),
                                        source: source))
            }
        case .appendPartition, .appendInput:
            let rows = parts.flatMap { key, part in part.map { storedEvent($0, key: key, loadID: loadID) } }
            ledger.insert(LedgerRow(key: writer == .appendPartition ? partitions.p.key : nil, loadID: loadID,
                                    mode: .append, fingerprint: fingerprint(of: rows), source: source))
        case .wholeTable:
            ledger.insert(LedgerRow(key: nil, loadID: loadID, mode: .replace,
                                    fingerprint: fingerprint(of: parts[0].rows.map { storedEvent($0, key: nil) }), source: source))
        }
        return ledger
    }

    /// What `loadkit load` prints after loading version `version`.
    func loadedSummary(version: Int) -> String {
        let parts = content(version: version)
        let rows = parts.reduce(0) { $0 + $1.rows.count }
        switch writer {
        case .staticReplace, .appendPartition: return "events partition \(partitions.p.key): loaded \(rows) rows\n"
        case .dynamicReplace: return "events 2 partitions (\(parts[0].key!) … \(parts[1].key!)): loaded \(rows) rows\n"
        case .appendInput, .wholeTable: return "events: loaded \(rows) rows\n"
        }
    }

    /// What a rerun with unchanged content prints.
    var rerunSummary: String {
        switch writer {
        case .appendPartition: return "events partition \(partitions.p.key): already loaded with the same content; nothing changed\n"
        case .appendInput: return "events: already loaded with the same content; nothing changed\n"
        default: return loadedSummary(version: 2)
        }
    }
}
