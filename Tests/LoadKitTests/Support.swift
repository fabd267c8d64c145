import Foundation
import LoadKit
import Testing

/// The package root, found from this file's path (Tests/LoadKitTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Files under `Fixtures/`.
enum Fixture {
    static let root = packageRoot + "/Fixtures"

    /// The absolute path of `name`, relative to `Fixtures/` (for example `csv/bom.csv`).
    static func path(_ name: String) -> String { "\(root)/\(name)" }

    /// The names of the files in the fixture folder `folder`, sorted.
    static func names(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []
        return names.sorted()
    }
}

/// The full nycflights13 data set in `../shared/data`, present in CI, absent from a fresh clone.
enum SharedData {
    static let flightsPath = packageRoot + "/../shared/data/nycflights13/flights.csv"
    static var isAvailable: Bool { FileManager.default.fileExists(atPath: flightsPath) }
}

/// Schemas used by several suites.
enum Schemas {
    /// The nycflights13 `flights` table.
    static let flights = try! TableSchema([
        Column("year", .integer), Column("month", .integer), Column("day", .integer),
        Column("dep_time", .integer), Column("sched_dep_time", .integer),
        Column("dep_delay", .real), Column("arr_time", .integer),
        Column("sched_arr_time", .integer), Column("arr_delay", .real),
        Column("carrier", .text), Column("flight", .integer), Column("tailnum", .text),
        Column("origin", .text), Column("dest", .text), Column("air_time", .real),
        Column("distance", .real), Column("hour", .integer), Column("minute", .integer),
        Column("time_hour", .timestamp),
    ])

    /// One column of each type; the header of the malformed-input corpora.
    static let corpus = try! TableSchema([
        Column("id", .integer), Column("name", .text), Column("dep_delay", .real),
        Column("ok", .boolean), Column("day", .date), Column("at", .timestamp),
    ])
}

let newYork = TimeZone(identifier: "America/New_York")!
let utc = TimeZone(identifier: "UTC")!

/// `text` parsed as `type`, naive timestamps read in `zone`.
func parseValue(_ text: String, as type: ColumnType, in zone: TimeZone = utc) throws -> Value {
    let parser = ValueParser(localTime: LocalTimeResolver(timeZone: zone))
    return try Array(text.utf8).withUnsafeBytes { try parser.parse($0, as: type) }
}

/// The reason `text` is refused as `type`, or `nil` when it is accepted.
func failureReason(_ text: String, as type: ColumnType, in zone: TimeZone = utc) -> String? {
    do {
        _ = try parseValue(text, as: type, in: zone)
        return nil
    } catch let failure as ValueParser.Failure {
        return failure.reason
    } catch {
        return "unexpected error \(error)"
    }
}

/// Every row of `path` read in `format`.
func readRows(_ path: String, format: SourceFormat = .csv, schema: TableSchema,
              options: SourceOptions = SourceOptions(), displayName: String? = nil) throws -> [[Value]] {
    let source = try format.open(path, schema: schema, options: options, displayName: displayName)
    var rows: [[Value]] = []
    var row: [Value] = []
    while try source.next(into: &row) { rows.append(row) }
    return rows
}

/// Every record of a CSV reader as text fields (the header is in `reader.header`).
func readRecords(_ reader: CSVReader) throws -> [[String]] {
    var records: [[String]] = []
    while try reader.next() {
        records.append((0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) })
    }
    return records
}

/// A CSV reader over `path`, errors naming the file by its last path component.
func csvReader(_ path: String, dialect: CSVDialect = .standard) throws -> CSVReader {
    let name = URL(fileURLWithPath: path).lastPathComponent
    return try CSVReader(source: InputFile.open(path, displayName: name), fileName: name, dialect: dialect)
}

/// Bytes served in reads of at most `chunk` bytes, to exercise every buffer boundary.
final class ChunkedByteSource: ByteSource {
    private let bytes: [UInt8]
    private let chunk: Int
    private var position = 0

    init(_ bytes: [UInt8], chunk: Int) {
        self.bytes = bytes
        self.chunk = chunk
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count, bytes.count - position)
        buffer.copyBytes(from: bytes[position..<position + n])
        position += n
        return n
    }
}

/// The `LoadKitError` thrown by `body`; records a test failure when it throws none or another type.
func loadKitError(sourceLocation: SourceLocation = #_sourceLocation,
                  _ body: () throws -> Void) -> LoadKitError? {
    do {
        try body()
        Issue.record("expected a LoadKitError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as LoadKitError {
        return error
    } catch {
        Issue.record("expected a LoadKitError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
