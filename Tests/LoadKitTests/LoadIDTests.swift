import Foundation
import LoadKit
import Testing

@Suite struct LoadIDTests {
    @Test("Load ids are the documented SHA-256 prefix of the task's parameters", arguments: [
        // printf 'loadkit/v1\0flights\0replace\0partition=2013-01-01' | sha256sum
        ("flights", WriteMode.replace, LoadID.Scope.partition("2013-01-01"), "lk1_768115fd291574adabeaa1866785f4d3"),
        // printf 'loadkit/v1\0flights\0append\0input=data/flights.csv' | sha256sum
        ("flights", .append, .input("data/flights.csv"), "lk1_f518590b776158a1461a2cdc9bb07b79"),
        // printf 'loadkit/v1\0airlines\0replace\0table' | sha256sum
        ("airlines", .replace, .table, "lk1_845cca5231e42809f0d7fd8aa2847726"),
    ])
    func golden(table: String, mode: WriteMode, scope: LoadID.Scope, id: String) {
        #expect(LoadID.make(table: table, mode: mode, scope: scope) == id)
    }

    @Test("A load id is lk1_ and 32 lower-case hex digits, 36 bytes")
    func shape() {
        for id in [LoadID.make(table: "t", mode: .replace, scope: .table),
                   LoadID.make(table: "flights", mode: .append, scope: .input("é/ü.csv")),
                   LoadID.make(table: String(repeating: "x", count: 63), mode: .replace,
                               scope: .partition("2013-11-03T01:00-05:00"))] {
            #expect(id.utf8.count == 36)
            #expect(id.wholeMatch(of: #/lk1_[0-9a-f]{32}/#) != nil, "\(id)")
        }
    }

    @Test("Load ids are deterministic")
    func deterministic() {
        #expect(LoadID.make(table: "flights", mode: .replace, scope: .partition("2013-01-01"))
            == LoadID.make(table: "flights", mode: .replace, scope: .partition("2013-01-01")))
    }

    @Test("Different tables, modes and scopes give different load ids")
    func distinct() {
        let tasks: [(String, WriteMode, LoadID.Scope)] = [
            ("flights", .replace, .partition("2013-01-01")),
            ("flights", .replace, .partition("2013-01-02")),
            ("flights", .append, .partition("2013-01-01")),
            ("flight", .replace, .partition("2013-01-01")),
            ("Flights", .replace, .partition("2013-01-01")),
            ("flights", .replace, .input("2013-01-01")),
            ("flights", .append, .input("2013-01-01")),
            ("flights", .replace, .table),
            ("flights", .append, .table),
            ("airlines", .replace, .table),
            ("flights", .replace, .partition("2013-11-03T01:00-04:00")),
            ("flights", .replace, .partition("2013-11-03T01:00-05:00")),
            ("flights", .replace, .input("data/a.csv")),
            ("flights", .replace, .input("./data/a.csv")),
            ("flights", .replace, .input("")),
            ("flights", .replace, .partition("")),
        ]
        let ids = tasks.map { LoadID.make(table: $0.0, mode: $0.1, scope: $0.2) }
        #expect(Set(ids).count == tasks.count)
        #expect(Set(ids.map(LoadID.stagingName(for:))).count == tasks.count)
    }

    @Test("The staging table is _loadkit_stg_ and the load id's 32 hex digits, within 63 bytes")
    func stagingName() {
        let id = LoadID.make(table: "flights", mode: .replace, scope: .partition("2013-01-01"))
        let staging = LoadID.stagingName(for: id)
        #expect(staging == "_loadkit_stg_768115fd291574adabeaa1866785f4d3")
        #expect(staging.hasPrefix(LoadID.stagingPrefix))
        #expect(LoadID.stagingPrefix == "_loadkit_stg_")
        #expect(staging.utf8.count == 45)
        #expect(staging.utf8.count <= Identifier.maxBytes)
        #expect(staging.wholeMatch(of: #/_loadkit_stg_[0-9a-f]{32}/#) != nil)
        #expect(throws: Never.self) { try Identifier.validate(staging, what: "staging table name") }
    }

    // MARK: - Run ids

    @Test("A run id is the UTC second and 8 hex digits")
    func runIDFormat() throws {
        let now = Date(timeIntervalSince1970: TimeInterval(utcInstant("2026-11-29T17:30:00Z")) + 0.75)
        let id = RunID.make(now: now)
        #expect(id.hasPrefix("20261129T173000Z-"))
        #expect(id.utf8.count == 25)
        #expect(id.wholeMatch(of: #/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/#) != nil, "\(id)")
        let early = RunID.make(now: Date(timeIntervalSince1970: 0))
        #expect(early.hasPrefix("19700101T000000Z-"))
        #expect(RunID.make().wholeMatch(of: #/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/#) != nil)
    }

    @Test("1000 run ids made in the same second are all different")
    func runIDsUnique() {
        let now = Date()
        let ids = (0..<1000).map { _ in RunID.make(now: now) }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.wholeMatch(of: #/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/#) != nil })
    }
}
