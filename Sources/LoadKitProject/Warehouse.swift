import Foundation
import LoadKit
import LoadKitPostgres
import LoadKitSQLite

/// The one place where the `warehouse:` string picks a destination (SPEC.md §7, §10).
///
/// A path (`warehouse.db`, `/data/w.db`) is a SQLite file; a `postgres://` or `postgresql://`
/// URI is a PostgreSQL warehouse, its tables in the config's `schema:`. Any other URI is
/// refused rather than taken for a file name. Every command and every ``Project`` call opens the
/// warehouse through here and gets a ``WarehouseDestination``, so a new destination joins here
/// without touching its callers.
package struct Warehouse: Sendable {
    /// The warehouse as written (a path, relative to the working directory, or a URI).
    package let location: String
    /// How long a writer waits for the database's write lock (the config's `lock_timeout`).
    package let lockTimeout: Duration
    /// The PostgreSQL schema (`schema:`); unused by SQLite.
    package let schema: String
    /// More schemas a PostgreSQL transform's query reads unqualified names from, after
    /// `schema` (``LoadKitConfig/readingAlso``); unused by SQLite.
    package var readingAlso: [String] = []
    /// How long a PostgreSQL load lock (a lease row) lasts without renewal: the config's
    /// `queue: { lease: }` (default 30 s), the lease of a queued task's claim too; unused by SQLite.
    package var lease: Duration = .seconds(30)

    /// - Throws: ``UsageError`` for a URI that is not PostgreSQL's, or an empty location.
    package init(_ location: String, lockTimeout: Duration, schema: String = "public") throws {
        if Self.isURI(location), !Self.isPostgres(location) {
            let scheme = location.prefix { $0 != ":" }
            throw UsageError("warehouse \(Self.redacted(location)): '\(scheme):' warehouses are not supported; "
                + "use a SQLite file path such as warehouse.db (a plain path, not a file: URI) "
                + "or a PostgreSQL URI such as postgres://user@host:5432/db")
        }
        guard !location.isEmpty else { throw UsageError("the warehouse path is empty") }
        if Self.isKeywordConnectionString(location) {
            // Taken as a file name it would create a SQLite file named after it, and record it
            // (with any password in it) in the run log.
            let masked = location.replacingOccurrences(of: #"password\s*=\s*('[^']*'|\S+)"#, with: "password=***",
                                                       options: [.regularExpression, .caseInsensitive])
            throw UsageError("warehouse '\(masked)' is a libpq key=value connection string; write it as a URI "
                + "(postgres://user@host:5432/db; libpq's PG* variables and ~/.pgpass apply, so the password "
                + "need not be in it)")
        }
        self.location = location
        self.lockTimeout = lockTimeout
        self.schema = schema
    }

    /// The warehouse of `config`, with its `lock_timeout` and `schema:`.
    package init(config: LoadKitConfig) throws {
        try self.init(config.warehouse, lockTimeout: config.defaults.lockTimeout, schema: config.schema)
        readingAlso = config.readingAlso
        lease = config.queueLease
    }

    /// Whether `text` is a URI (`postgres://…`, `mysql://…`, SQLite's `file:…`) rather than a
    /// path: a scheme of letters, digits, `+`, `-`, `.` before `:`, then `//` or `file:`.
    package static func isURI(_ text: String) -> Bool {
        if text.lowercased().hasPrefix("file:") { return true }
        guard let colon = text.range(of: "://") else { return false }
        let scheme = text[..<colon.lowerBound]
        return !scheme.isEmpty && scheme.first!.isLetter
            && scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// Whether `text` looks like a libpq key=value connection string (`host=db dbname=wh`,
    /// PostgreSQL manual §34.1.1) rather than a path: it starts with one of libpq's keywords and
    /// `=`.
    package static func isKeywordConnectionString(_ text: String) -> Bool {
        text.range(of: #"^\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|connect_timeout|application_name|options)\s*="#,
                   options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// Whether `text` is a PostgreSQL URI (`postgres://` or `postgresql://`, any case).
    package static func isPostgres(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Whether this is a PostgreSQL warehouse.
    package var isPostgres: Bool { Self.isPostgres(location) }

    /// Whether the warehouse exists yet (commands that only read never create it). A PostgreSQL
    /// server always "exists": a reader finds its catalog tables absent and reports nothing loaded.
    package var exists: Bool { isPostgres || FileManager.default.fileExists(atPath: location) }

    /// Whether this process may write to it (for marking dead runs on a read).
    package var isWritable: Bool { isPostgres || FileManager.default.isWritableFile(atPath: location) }

    /// The warehouse for messages: the path, or the URI with its password masked.
    package var displayName: String { isPostgres ? Self.redacted(location) : location }

    /// A read-write connection; creates the SQLite file when absent.
    /// - Throws: the destination's error when it cannot be opened (a PostgreSQL server that
    ///   cannot be reached fails within its connect timeout, naming host, port and database).
    package func open() throws -> any WarehouseDestination {
        if isPostgres {
            return try PostgresDestination(uri: location, schema: schema, lockTimeout: lockTimeout, lease: lease,
                                           readingAlso: readingAlso)
        }
        return try SQLiteDestination(path: location, busyTimeout: lockTimeout)
    }

    /// A read-write connection for a queue worker's thread: its database sessions named
    /// `session` (`application_name`, so that a worker taking over an expired lease can end
    /// them) and ended by the server when left idle inside a transaction past
    /// `idleInTransactionTimeout` (`idle_in_transaction_session_timeout`: a frozen worker).
    /// PostgreSQL manual §20.11.2 "Statement Behavior", §34.1.2 "Parameter Key Words".
    /// - Throws: as ``open()``; ``UsageError`` for a SQLite warehouse (it has no queue).
    package func open(session: String, idleInTransactionTimeout: Duration) throws -> any WarehouseDestination {
        guard isPostgres else { throw UsageError("a SQLite warehouse has no queue") }
        let milliseconds = Int((idleInTransactionTimeout.seconds * 1000).rounded())
        let separator = location.contains("?") ? "&" : "?"
        let uri = location + separator + "application_name=\(session)"
            + "&options=-c%20idle_in_transaction_session_timeout%3D\(milliseconds)"
        return try PostgresDestination(uri: uri, schema: schema, lockTimeout: lockTimeout, lease: lease)
    }

    /// The task queue on `destination`'s connection (SPEC.md §8), whose fence runs in that
    /// destination's commit transactions.
    /// - Throws: ``UsageError`` for a destination without a queue (SQLite); the database's error.
    package static func queue(on destination: any Destination) throws -> any WorkQueue {
        guard let postgres = destination as? PostgresDestination else {
            throw UsageError("a SQLite warehouse has no queue: queued runs and workers need a PostgreSQL warehouse")
        }
        return try PostgresQueue(destination: postgres)
    }

    /// A read-only connection, or `nil` when the warehouse does not exist yet.
    package func openForReading() throws -> (any WarehouseDestination)? {
        if isPostgres {
            return try PostgresDestination(uri: location, schema: schema, lockTimeout: lockTimeout, lease: lease, readingOnly: true,
                                           readingAlso: readingAlso)
        }
        return exists ? try SQLiteDestination(readingOnly: location) : nil
    }

    /// A read-write connection to an existing warehouse, or `nil` when there is none yet
    /// (for commands that must not create it).
    package func existing() throws -> (any WarehouseDestination)? {
        exists ? try open() : nil
    }

    /// The connection that records runs and attempts.
    package func openRunLog() throws -> any WarehouseDestination {
        try open().forRunRecords()
    }

    /// A URI without its password, and the password: for handing a warehouse to a child
    /// process whose command line others can read (`ps`); the password then goes in the
    /// child's environment as `PGPASSWORD`, which libpq reads when the URI has none
    /// (PostgreSQL manual §34.15). A URI without a password is returned as it is, with `nil`.
    package static func splittingPassword(_ uri: String) -> (uri: String, password: String?) {
        var text = uri
        var password: String?
        if let scheme = text.range(of: "://") {
            let authorityEnd = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
            let authority = text[scheme.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                password = String(text[text.index(after: colon)..<at]).removingPercentEncoding
                text = String(text[..<colon]) + String(text[at...])
            }
        }
        if let query = text.firstIndex(of: "?") {
            var kept: [String] = []
            for parameter in text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false) {
                if parameter.lowercased().hasPrefix("password=") {
                    password = String(parameter.dropFirst("password=".count)).removingPercentEncoding
                } else {
                    kept.append(String(parameter))
                }
            }
            text = String(text[..<query]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        }
        return (text, password)
    }

    /// A URI with its password masked: `postgres://user:secret@host/db` → `postgres://user:***@host/db`,
    /// `…?user=u&password=secret` → `…?user=u&password=***`: a password never appears in output
    /// (SPEC.md §7). The userinfo ends at the last `@` before the path, so a password holding
    /// `@` is masked whole.
    package static func redacted(_ uri: String) -> String {
        var text = uri
        if let scheme = text.range(of: "://") {
            let authorityEnd = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
            let authority = text[scheme.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                text = String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
            }
        }
        if let query = text.firstIndex(of: "?") {
            let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
                .map { parameter -> String in
                    parameter.lowercased().hasPrefix("password=") ? "password=***" : String(parameter)
                }
            text = String(text[...query]) + parameters.joined(separator: "&")
        }
        return text
    }
}
