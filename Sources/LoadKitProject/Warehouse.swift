import Foundation
import LoadKit
import LoadKitSQLite

/// The one place where the `warehouse:` string picks a destination (SPEC.md §7, §10).
///
/// A path (`warehouse.db`, `/data/w.db`) is a SQLite file; a `postgres://` or `postgresql://`
/// URI will be a PostgreSQL warehouse and is refused until that destination exists, rather
/// than being taken for a file name. Every command and every ``Project`` call opens the
/// warehouse through here, so a new destination joins here without touching its callers.
package struct Warehouse: Sendable {
    /// The warehouse as written (a path, relative to the working directory, or a URI).
    package let location: String
    /// How long a writer waits for the database's write lock (the config's `lock_timeout`).
    package let lockTimeout: Duration

    /// - Throws: ``UsageError`` for a PostgreSQL URI (not supported yet) or an empty location.
    package init(_ location: String, lockTimeout: Duration) throws {
        if Self.isURI(location) {
            throw UsageError("warehouse \(Self.redacted(location)): PostgreSQL warehouses are not supported yet; "
                + "use a SQLite file path such as warehouse.db")
        }
        guard !location.isEmpty else { throw UsageError("the warehouse path is empty") }
        self.location = location
        self.lockTimeout = lockTimeout
    }

    /// The warehouse of `config`, with its `lock_timeout`.
    package init(config: LoadKitConfig) throws {
        try self.init(config.warehouse, lockTimeout: config.defaults.lockTimeout)
    }

    /// Whether `text` is a server URI (`postgres://…`, `postgresql://…`) rather than a path.
    package static func isURI(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Whether the warehouse exists yet (commands that only read never create it).
    package var exists: Bool { FileManager.default.fileExists(atPath: location) }

    /// Whether this process may write to it (for marking dead runs on a read).
    package var isWritable: Bool { FileManager.default.isWritableFile(atPath: location) }

    /// A read-write connection; creates the warehouse when absent.
    package func open() throws -> SQLiteDestination {
        try SQLiteDestination(path: location, busyTimeout: lockTimeout)
    }

    /// A read-only connection, or `nil` when the warehouse does not exist yet.
    package func openForReading() throws -> SQLiteDestination? {
        exists ? try SQLiteDestination(readingOnly: location) : nil
    }

    /// A read-write connection to an existing warehouse, or `nil` when there is none yet
    /// (for commands that must not create it).
    package func existing() throws -> SQLiteDestination? {
        exists ? try open() : nil
    }

    /// The connection that records runs and attempts.
    package func openRunLog() throws -> SQLiteDestination {
        try open().forRunRecords()
    }

    /// `postgres://user:secret@host/db` shown as `postgres://user:***@host/db`: a password never
    /// appears in output (SPEC.md §7).
    package static func redacted(_ uri: String) -> String {
        guard let scheme = uri.range(of: "://"), let at = uri[scheme.upperBound...].firstIndex(of: "@") else { return uri }
        let credentials = uri[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return uri }
        return String(uri[..<colon]) + ":***" + String(uri[at...])
    }
}
