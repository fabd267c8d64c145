import Foundation
import LoadKit
import LoadKitSQLite
import LoadKitTesting
import Testing

/// Real resource faults through the binary: a full disk (the warehouse's folder, or SQLite's
/// temporary directory where staging lives), a read-only warehouse, a warehouse locked by
/// another program. Each exits 1 with a message that says which file or folder and what to do,
/// and leaves the warehouse as it was (`PRAGMA integrity_check`, rows, fingerprint, ledger).
///
/// Disk-full and read-only tests mount a small tmpfs, so they need root; elsewhere they are
/// skipped and say why.
@Suite struct ResourceFaultTests {
    /// A tmpfs mounted on a fresh folder; unmounted by ``unmount()`` (call it in a `defer`).
    final class Tmpfs {
        let directory: TemporaryDirectory
        var path: String { directory.root }

        /// Mounts a tmpfs of `size` (mount's syntax: `1m`).
        init(size: String) throws {
            directory = try TemporaryDirectory(prefix: "loadkit-tmpfs")
            let result = try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.root])
            guard result.status == 0 else {
                throw LoadKitError(.io, "mount failed: \(result.stderr)")
            }
        }

        func remountReadOnly() throws {
            let result = try ChildProcess.run("/bin/mount", ["-o", "remount,ro", path])
            try #require(result.status == 0, "remount failed: \(result.stderr)")
        }

        func unmount() {
            _ = try? ChildProcess.run("/bin/umount", [path])
        }

        /// `nil` when tmpfs mounts work here, else why not (not root, no mount permission).
        static let unavailable: String? = {
            guard getuid() == 0 else { return "not root: cannot mount a tmpfs to fill up" }
            do {
                let probe = try Tmpfs(size: "64k")
                probe.unmount()
                return nil
            } catch {
                return "cannot mount a tmpfs here (\(error))"
            }
        }()
    }

    static var canMount: Bool {
        if let reason = Tmpfs.unavailable { print("ResourceFaultTests: skipping the disk tests: \(reason)") }
        return Tmpfs.unavailable == nil
    }

    static var hasPython: Bool {
        (try? ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3"]).status) == 0
    }

    /// A config (`loadkit.yml` in its own folder) with day-partitioned `events`, one attempt
    /// per task and a 1 s lock timeout; the warehouse is `warehouse`.
    struct Workspace {
        let directory: TemporaryDirectory
        let warehouse: String
        var config: String { directory.path("loadkit.yml") }

        init(warehouse: String) throws {
            directory = try TemporaryDirectory()
            self.warehouse = warehouse
            try directory.write("loadkit.yml", """
                warehouse: \(warehouse)
                defaults:
                  retry: { attempts: 1 }
                  lock_timeout: 1s
                tables:
                  events:
                    source: { path: "events-{date}.csv" }
                    columns: { day: date, n: integer, pad: text }
                    partition: { column: event_day, granularity: day, from: day }

                """)
            try write("small.csv", day: "2024-01-01", rows: 10, padding: 1)
        }

        /// Writes a CSV of `rows` rows of `day`, each with `padding` bytes of text.
        @discardableResult
        func write(_ name: String, day: String, rows: Int, padding: Int) throws -> String {
            var text = "day,n,pad\n"
            text.reserveCapacity(rows * (padding + 20))
            let pad = String(repeating: "p", count: padding)
            for i in 0..<rows { text += "\(day),\(i),\(pad)\n" }
            return try directory.write(name, text)
        }

        func load(_ file: String, environment: [String: String] = [:]) throws -> ChildProcess.Result {
            try ChildProcess.run(Paths.binary, ["load", "--config", config, "--table", "events", "--input",
                                                directory.path(file)], environment: environment)
        }

        /// Integrity, rows and fingerprint of `events`, and its ledger, read without writing.
        func state() throws -> String {
            let destination = try SQLiteDestination(readingOnly: warehouse)
            let integrity = try destination.connection.scalar("PRAGMA integrity_check")
            let fingerprint = try destination.fingerprint(table: "events", partitionColumn: "event_day", partition: nil)
            let ledger = try destination.ledger(table: "events").map { "\($0.partitionKey ?? "-") \($0.fingerprint.hex)" }
            return "integrity \(integrity.map { "\($0)" } ?? "?"), \(fingerprint.rows) rows, \(fingerprint.hex), ledger \(ledger)"
        }
    }

    @Test("A full warehouse disk: exit 1, 'disk full' naming the warehouse's folder; the warehouse as it was",
          .enabled(if: canMount, "needs root to mount a 1 MiB tmpfs"))
    func warehouseDiskFull() throws {
        let disk = try Tmpfs(size: "1m")
        defer { disk.unmount() }
        let workspace = try Workspace(warehouse: disk.path + "/w.db")
        let first = try workspace.load("small.csv")
        try #require(first.status == 0, "\(first.stderr)")
        let before = try workspace.state()
        try workspace.write("big.csv", day: "2024-01-02", rows: 40_000, padding: 100) // 4.7 MB

        let result = try workspace.load("big.csv")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("loadkit: error: disk full: no space left in \(disk.path) ("), "\(result.stderr)")
        #expect(result.stderr.contains("the folder of the warehouse \(workspace.warehouse); free space there"))
        #expect(result.stderr.contains("the load was rolled back"))
        #expect(result.stderr.contains("(SQLite error 13: database or disk is full)"))
        #expect(try workspace.state() == before)
        #expect(before.hasPrefix("integrity 'ok', 10 rows"))
    }

    @Test("A full temporary directory (SQLITE_TMPDIR): exit 1, 'disk full' naming it and the variable; the warehouse as it was",
          .enabled(if: canMount, "needs root to mount a 1 MiB tmpfs"))
    func temporaryDiskFull() throws {
        let temporary = try Tmpfs(size: "1m")
        defer { temporary.unmount() }
        let folder = try TemporaryDirectory()
        let workspace = try Workspace(warehouse: folder.path("w.db"))
        let first = try workspace.load("small.csv")
        try #require(first.status == 0, "\(first.stderr)")
        let before = try workspace.state()
        // Staging keeps a few MiB of pages in memory before it spills to its temporary file.
        try workspace.write("huge.csv", day: "2024-01-03", rows: 150_000, padding: 100) // 17.7 MB

        // A replace writes directly, with no staging table; the staged strategy (appends,
        // transforms, a dynamic replace that meets a locked partition) is forced here.
        let result = try workspace.load("huge.csv", environment: ["SQLITE_TMPDIR": temporary.path,
                                                                  "LOADKIT_WRITE_STRATEGY": "staged"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("loadkit: error: disk full: no space left in \(temporary.path) ("),
                "\(result.stderr)")
        #expect(result.stderr.contains("SQLite's temporary directory, where the load stages its rows in a TEMP table"))
        #expect(result.stderr.contains("set SQLITE_TMPDIR to a folder with room"))
        #expect(result.stderr.contains("nothing was written to the warehouse"))
        #expect(try workspace.state() == before)

        // Written directly, the same load needs no room in the temporary directory.
        let direct = try workspace.load("huge.csv", environment: ["SQLITE_TMPDIR": temporary.path])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(try workspace.state().hasPrefix("integrity 'ok', 150010 rows"))
    }

    @Test("A warehouse on a read-only file system: exit 1, 'read-only' with its path; the warehouse as it was",
          .enabled(if: canMount, "needs root to mount and remount a tmpfs"))
    func readOnlyWarehouse() throws {
        let disk = try Tmpfs(size: "8m")
        defer { disk.unmount() }
        let workspace = try Workspace(warehouse: disk.path + "/w.db")
        let first = try workspace.load("small.csv")
        try #require(first.status == 0, "\(first.stderr)")
        let before = try workspace.state()
        try disk.remountReadOnly()
        try workspace.write("next.csv", day: "2024-01-02", rows: 10, padding: 1)

        let result = try workspace.load("next.csv")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("loadkit: error: read-only: the warehouse \(workspace.warehouse) cannot be "
            + "written: its file system is mounted read-only; "), "\(result.stderr)")
        #expect(result.stderr.contains("(SQLite error "), "the SQLite code and message are kept")
        #expect(try workspace.state() == before)
    }

    @Test("A warehouse locked by another program beyond lock_timeout: exit 1, 'locked by another process' and what to do",
          .enabled(if: hasPython, "needs python3 with sqlite3 to hold the lock"))
    func lockedByAnotherProgram() throws {
        let folder = try TemporaryDirectory()
        let workspace = try Workspace(warehouse: folder.path("w.db"))
        let first = try workspace.load("small.csv")
        try #require(first.status == 0, "\(first.stderr)")
        let before = try workspace.state()
        try workspace.write("next.csv", day: "2024-01-02", rows: 10, padding: 1)

        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        locker.arguments = ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute('BEGIN EXCLUSIVE')
            print('locked', flush=True)
            sys.stdin.read()
            """, workspace.warehouse]
        let input = Pipe()
        let output = Pipe()
        locker.standardInput = input
        locker.standardOutput = output
        try locker.run()
        defer {
            try? input.fileHandleForWriting.close()
            locker.waitUntilExit()
        }
        var said = Data()
        while !String(decoding: said, as: UTF8.self).contains("locked") {
            let chunk = output.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the locking child ended before it said 'locked'")
            said += chunk
        }

        let clock = ContinuousClock()
        let started = clock.now
        let result = try workspace.load("next.csv")
        #expect(clock.now - started < .seconds(30))
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("loadkit: error: locked: the warehouse \(workspace.warehouse) is locked by "
            + "another process, which held its write lock for longer than the busy timeout (1 s, lock_timeout in "
            + "loadkit.yml); wait for that program to finish"), "\(result.stderr)")
        #expect(result.stderr.contains("(SQLite error 5: database is locked)"))

        try input.fileHandleForWriting.close()
        locker.waitUntilExit()
        #expect(try workspace.state() == before)
    }
}
