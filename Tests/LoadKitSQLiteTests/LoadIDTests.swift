import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Load ids and staging names as loads write them: pinned literals, each checked independently
/// with `printf 'loadkit/v1\0<table>\0<mode>\0<scope>' | sha256sum` (first 32 hex digits, `lk1_`).
@Suite struct LoadIDTests {
    static let golden: [(table: String, mode: WriteMode, scope: LoadID.Scope, id: String)] = [
        ("flights", .replace, .partition("2013-01-01"), "lk1_768115fd291574adabeaa1866785f4d3"),
        ("flights", .append, .partition("2013-01-01"), "lk1_8d64bef447508e127b7564ffe2e70f03"),
        ("flights", .replace, .input("data/flights.csv"), "lk1_5c1552ba0a41c8ebb6fa5e9a95de2469"),
        ("flights", .replace, .input("flights.csv"), "lk1_bfca064931681080feccef4b664f52e6"),
        ("airlines", .replace, .table, "lk1_845cca5231e42809f0d7fd8aa2847726"),
        ("events", .replace, .partition("2013-11-03T01:00-04:00"), "lk1_f2d06b4539031a7840a30fd1968378c2"),
        ("events", .replace, .partition("2013-11-03T01:00-05:00"), "lk1_902419160ce92ce8f295f9756314f5ef"),
        ("events", .append, .input("data/batch.csv"), "lk1_2c12faab093c27b9c04b82107f5b9c19"),
        ("x\"; DROP TABLE y; --", .append, .input("in.csv"), "lk1_73202f9706704fb8978b0cd11f58adce"),
        ("vols été", .replace, .partition("2013"), "lk1_a0b9f1802bf3a47fb1c91ab39a78a05e"),
    ]

    @Test("Load ids are the pinned SHA-256 prefixes", arguments: 0..<golden.count)
    func pinned(_ index: Int) {
        let g = Self.golden[index]
        #expect(LoadID.make(table: g.table, mode: g.mode, scope: g.scope) == g.id)
    }

    @Test("Staging names are _loadkit_stg_ and the load id's hex digits, 45 bytes, at most 63", arguments: 0..<golden.count)
    func stagingName(_ index: Int) throws {
        let id = Self.golden[index].id
        let name = LoadID.stagingName(for: id)
        #expect(name == "_loadkit_stg_" + id.dropFirst(4))
        #expect(name.utf8.count == 45)
        #expect(name.utf8.count <= 63)
        try Identifier.validate(name, what: "staging table name")
    }

    @Test("A load request's load id follows its table, mode and scope")
    func requestLoadIDs() throws {
        let f = try EventsFixture()
        let day = try f.table().partitioning!.scheme.partition(forKey: "2013-11-03")
        let hour = try f.table(granularity: .hour).partitioning!.scheme.partition(forKey: "2013-11-03T01:00-05:00")
        let input = LoadRequest.Input.file(path: "/anywhere/else/batch.csv", format: .csv, options: SourceOptions(),
                                           identity: "data/batch.csv", displayName: "batch.csv")
        #expect(LoadRequest(table: try f.table(granularity: .hour), input: input, scope: .partition(hour)).loadID
                == "lk1_902419160ce92ce8f295f9756314f5ef")
        #expect(LoadRequest(table: try f.table(.append), input: input, scope: .dynamic).loadID
                == "lk1_2c12faab093c27b9c04b82107f5b9c19")
        #expect(LoadRequest(table: try f.table(), input: input, scope: .partition(day)).loadID
                == LoadID.make(table: "events", mode: .replace, scope: .partition("2013-11-03")))
        let airlines = try TargetTable(name: "airlines", schema: TableSchema([Column("carrier", .text), Column("name", .text)]))
        #expect(LoadRequest(table: airlines, input: input, scope: .wholeTable).loadID == "lk1_845cca5231e42809f0d7fd8aa2847726")
    }

    @Test("Real loads record the pinned load ids in the ledger")
    func ledgerIDs() throws {
        let dir = try TemporaryDirectory()
        let warehouse = dir.path("warehouse.db")
        let loader = Loader(destination: try SQLiteDestination(path: warehouse))
        let data = Paths.packageRoot + "/Examples/flights/data"
        let flights = try TargetTable(name: "flights", schema: FlightsPartitioningTests.schema,
                                      partitioning: .init(column: "flight_date",
                                                          scheme: PartitionScheme(granularity: .day, timeZone: EventsFixture.newYork),
                                                          sourceColumn: "time_hour"))
        let options = SourceOptions(nullTokens: ["NA"], timeZone: EventsFixture.newYork)
        let day = try flights.partitioning!.scheme.partition(forKey: "2013-01-01")
        let loaded = try loader.load(LoadRequest(
            table: flights,
            input: .file(path: data + "/flights-2013-01-01.csv", format: .csv, options: options,
                         identity: "data/flights-2013-01-01.csv", displayName: "flights-2013-01-01.csv"),
            scope: .partition(day)))
        #expect(loaded.loadID == "lk1_768115fd291574adabeaa1866785f4d3")
        #expect(loaded.rowsWritten == 842)

        let airlines = try TargetTable(name: "airlines", schema: TableSchema([Column("carrier", .text), Column("name", .text)]))
        let whole = try loader.load(LoadRequest(
            table: airlines,
            input: .file(path: data + "/airlines.csv", format: .csv, options: SourceOptions(),
                         identity: "data/airlines.csv", displayName: "airlines.csv"),
            scope: .wholeTable))
        #expect(whole.loadID == "lk1_845cca5231e42809f0d7fd8aa2847726")
        #expect(whole.rowsWritten == 16)

        #expect(try ledgerRows(warehouse, table: "flights").map(\.loadID) == ["lk1_768115fd291574adabeaa1866785f4d3"])
        #expect(try ledgerRows(warehouse, table: "airlines").map(\.loadID) == ["lk1_845cca5231e42809f0d7fd8aa2847726"])
        #expect(try ledgerRows(warehouse, table: "airlines").map(\.partitionKey) == [nil])
        try expectLedgerMatchesData(warehouse, flights)
        try expectLedgerMatchesData(warehouse, airlines)
        #expect(try stagingLeftovers(warehouse) == [])
    }
}
