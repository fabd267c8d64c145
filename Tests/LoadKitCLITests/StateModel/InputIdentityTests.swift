import Foundation
import Testing

/// One file is one input, however it is named (SPEC.md §5).
@Suite struct InputIdentityTests {
    @Test("d1.csv, ./d1.csv, sub/../d1.csv, a symlink and the absolute path are one input: one load id, rows once")
    func fiveSpellings() throws {
        let project = try EventsProject()
        let file = try project.directory.write("data/d1.csv", "id,msg\n1,a\n2,b\n3,c\n")
        try FileManager.default.createDirectory(atPath: project.directory.path("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.directory.path("link.csv"), withDestinationPath: file)
        var loadIDs = Set<String>()
        var statuses: [String] = []
        for spelling in ["data/d1.csv", "./data/d1.csv", "sub/../data/d1.csv", "link.csv", file] {
            let report = try project.json(["load", "--table", "log", "--input", spelling])
            loadIDs.insert(report["loadID"] as? String ?? "")
            statuses.append(report["status"] as? String ?? "")
        }
        #expect(loadIDs.count == 1)
        #expect(statuses == ["loaded", "already_loaded", "already_loaded", "already_loaded", "already_loaded"])
        #expect(try project.count("SELECT count(*) FROM log") == 3)
        #expect(try project.count("SELECT count(*) FROM _loadkit_ledger WHERE table_name = 'log'") == 1)
        // The identity is the path relative to the config's folder, the same on every machine.
        #expect(try project.query("SELECT input FROM _loadkit_ledger WHERE table_name = 'log'") == [[.text("data/d1.csv")]])
    }

    @Test("A dynamic load named two ways replaces its partitions once; the ledger names the input by its canonical path")
    func dynamicTwice() throws {
        let project = try EventsProject()
        let file = try project.directory.write("data/all.csv", "id,ts,v,tag\n1,2024-01-01T10:00:00Z,1,a\n2,2024-01-02T10:00:00Z,2,b\n")
        _ = try project.json(["load", "--table", "events", "--input", "./data/all.csv"])
        _ = try project.json(["load", "--table", "events", "--input", file])
        #expect(try project.count("SELECT count(*) FROM events") == 2)
        #expect(try project.query("SELECT DISTINCT input FROM _loadkit_ledger WHERE table_name = 'events'") == [[.text("data/all.csv")]])
    }
}
