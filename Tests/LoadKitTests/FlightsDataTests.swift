import Foundation
import LoadKit
import Testing

/// Real data: nycflights13, whole (from ../shared/data) and as the committed January daily files.
@Suite struct FlightsDataTests {
    static let options = SourceOptions(nullTokens: ["NA"], timeZone: newYork)
    static let januaryDir = packageRoot + "/Examples/flights/data"

    struct Totals: Equatable {
        var rows = 0
        var distance = 0.0
        var rowsWithNull = 0
    }

    static func totals(_ path: String) throws -> Totals {
        let source = try SourceFormat.csv.open(path, schema: Schemas.flights, options: options,
                                               displayName: URL(fileURLWithPath: path).lastPathComponent)
        var totals = Totals()
        var row: [Value] = []
        while try source.next(into: &row) {
            totals.rows += 1
            if case .real(let d) = row[15] { totals.distance += d }
            if row.contains(.null) { totals.rowsWithNull += 1 }
        }
        return totals
    }

    @Test("The whole flights.csv parses: 336,776 rows, sum(distance) 350,217,607, 9,430 rows with a NULL",
          .enabled(if: SharedData.isAvailable, "needs ../shared/data (present in CI, absent from a fresh clone)"))
    func wholeDataSet() throws {
        let totals = try Self.totals(SharedData.flightsPath)
        #expect(totals == Totals(rows: 336_776, distance: 350_217_607, rowsWithNull: 9_430))
    }

    @Test("The 31 committed January files hold 27,004 rows")
    func january() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.januaryDir)
            .filter { $0.hasPrefix("flights-2013-01-") && $0.hasSuffix(".csv") }.sorted()
        #expect(files.count == 31)
        #expect(files.first == "flights-2013-01-01.csv")
        #expect(files.last == "flights-2013-01-31.csv")
        var rows = 0
        for file in files { rows += try Self.totals("\(Self.januaryDir)/\(file)").rows }
        #expect(rows == 27_004)
    }

    @Test("2013-01-01 has 842 rows, each of that day")
    func firstOfJanuary() throws {
        let rows = try readRows("\(Self.januaryDir)/flights-2013-01-01.csv", schema: Schemas.flights,
                                options: Self.options)
        #expect(rows.count == 842)
        #expect(rows.allSatisfy { $0[0] == .integer(2013) && $0[1] == .integer(1) && $0[2] == .integer(1) })
        #expect(rows.last == [
            .integer(2013), .integer(1), .integer(1), .null, .integer(600), .null, .null, .integer(901),
            .null, .text("B6"), .integer(125), .text("N618JB"), .text("JFK"), .text("FLL"), .null,
            .real(1069), .integer(6), .integer(0), .text("2013-01-01T11:00:00Z"),
        ])
    }
}
