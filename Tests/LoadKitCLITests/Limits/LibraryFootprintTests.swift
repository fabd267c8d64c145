import Foundation
import LoadKitTesting
import Testing

/// A SQLite load never maps libpq (and the libraries it pulls in): LoadKitPostgres opens it at
/// the first PostgreSQL connection only, so it costs SQLite users no resident memory.
@Suite struct LibraryFootprintTests {
    @Test("A SQLite load in progress has no libpq, OpenSSL or Kerberos library mapped; it then loads its rows")
    func sqliteLoadMapsNoLibpq() throws {
        let project = try EventsProject()
        _ = try project.day(1)
        // Held inside the load (a failpoint, not a race) while its memory map is read.
        let running = try project.start(["load", "--table", "events", "--partition", "2024-01-01"],
                                        environment: ["LOADKIT_FAILPOINT": "after_staging:sleep=3s"])
        project.waitForHeldLock()
        let maps = Self.read("/proc/\(running.pid)/maps")
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(maps.contains("libsqlite3"), "the map was read from the loading process")
        for library in ["libpq.so", "libssl.so", "libkrb5.so", "libldap"] {
            #expect(!maps.contains(library), "\(library) is mapped by a SQLite load")
        }
        #expect(try project.count("SELECT count(*) FROM events") == 3)
    }

    /// The whole of a /proc file (whose size reads as 0, so it is read until the end).
    static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
