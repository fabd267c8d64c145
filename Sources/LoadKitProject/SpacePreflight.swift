import Foundation
import LoadKit

/// The free-space check a run makes before anything is written: the warehouse's filesystem and
/// the temp directory SQLite stages in must each have room for the estimate, or the run is
/// refused with an error naming the directory, its free bytes and the bytes needed.
///
/// The estimate is 2 × the largest source file of the plan × the loads that run at once
/// (`concurrency`, at most the number of items): a load writes its rows once into the target
/// (the warehouse's filesystem, its journal too) or once into a staging table (the temp
/// directory), in bytes about the size of its input. Transforms add nothing (their rows come
/// from the warehouse). A compressed input counts at its compressed size.
package enum SpacePreflight {
    /// The temp directory SQLite uses: `temp_dir:` when set (exported as `SQLITE_TMPDIR`),
    /// else the first of `SQLITE_TMPDIR`, `TMPDIR`, `/var/tmp`, `/usr/tmp`, `/tmp` that is a
    /// writable directory (SQLite's own order, https://sqlite.org/tempfiles.html).
    package static func tempDirectory(_ config: LoadKitConfig) -> String {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [config.tempDir, environment["SQLITE_TMPDIR"], environment["TMPDIR"], "/var/tmp", "/usr/tmp", "/tmp"]
        for case let path? in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
               FileManager.default.isWritableFile(atPath: path) { return path }
        }
        return "."
    }

    /// Free bytes for an unprivileged writer on the filesystem holding `path`; `nil` when
    /// `statvfs(3)` fails.
    package static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// Checks `plan` against the free space.
    /// - Throws: ``LoadKitError`` `resource.disk_full` (terminal) naming the directory, the free
    ///   bytes and the bytes needed.
    package static func check(_ plan: RunPlan, config: LoadKitConfig, concurrency: Int) throws {
        var largest: Int64 = 0
        for item in plan.items {
            guard let source = config.table(item.task)?.source else { continue }
            let path = item.input ?? item.partition.map { $0.fill(source.path) } ?? source.path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            largest = max(largest, size)
        }
        guard largest > 0 else { return }
        let needed = 2 * largest * Int64(max(1, min(concurrency, plan.items.count)))
        // A PostgreSQL warehouse's disk is the server's, out of this machine's sight.
        var directories = [("the temp directory", tempDirectory(config))]
        if !Warehouse.isPostgres(config.warehouse) {
            directories.insert(("the warehouse's filesystem",
                                URL(fileURLWithPath: config.warehouse).deletingLastPathComponent().path), at: 0)
        }
        for (what, directory) in directories {
            guard let free = freeBytes(directory), free < needed else { continue }
            throw LoadKitError(.diskFull,
                "not enough free space on \(what) (\(directory)): \(free) bytes free, about \(needed) needed "
                + "(2 × the largest input, \(largest) bytes, × \(max(1, min(concurrency, plan.items.count))) loads at once); "
                + "free some space" + (what == "the temp directory" ? " or set temp_dir: in loadkit.yml to a larger filesystem" : "")
                + "; nothing was written")
        }
    }
}
