import Foundation
import LoadKitTesting
import Testing

/// The free-space check before staging: too little room on the temp directory (`temp_dir`) is
/// a clear error before anything is written.
@Suite struct SpacePreflightTests {
    @Test("A temp_dir on a 64 KiB tmpfs refuses a 100 KB input before anything is written",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func smallTmpfs() throws {
        var definition = EventsProject.Definition()
        definition.topExtra = "temp_dir: tmp"
        let project = try EventsProject(definition)
        let tmp = project.directory.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let mount = try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", tmp])
        try #require(mount.status == 0, "mount: \(mount.stderr)")
        defer { _ = try? ChildProcess.run("/bin/umount", [tmp]) }
        var text = "id,ts,v,tag\n"
        for i in 0..<2_000 { text += "\(i),2024-01-01T10:00:00Z,1.5,\(String(repeating: "x", count: 30))\n" }
        let input = try project.directory.write("data/2024-01-01.csv", text)
        let size = try #require((try FileManager.default.attributesOfItem(atPath: input)[.size] as? NSNumber)?.int64Value)
        #expect(size > 64 * 1024)

        let result = try project.run(["backfill", "--table", "events", "--from", "2024-01-01", "--to", "2024-01-01"])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("not enough free space on the temp directory (\(tmp)): "), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("about \(2 * size) needed"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.warehouse))
    }

    @Test("temp_dir that is not a directory exits 64 naming the key")
    func notADirectory() throws {
        var definition = EventsProject.Definition()
        definition.topExtra = "temp_dir: no-such-folder"
        let project = try EventsProject(definition)
        let result = try project.run(["status", "--check", "--json"])
        #expect(result.status == 64)
        let error = try parseObject(result.stdout)["error"] as? [String: Any]
        #expect(error?["key"] as? String == "temp_dir")
    }
}
