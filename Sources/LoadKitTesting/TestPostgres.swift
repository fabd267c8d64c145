import Foundation
import LoadKitPostgres
import Testing

/// The PostgreSQL server of a test run, from `LOADKIT_TEST_POSTGRES_URL` (set by `.ci/run`
/// and `.ci/postgres-server`; README "Running the PostgreSQL tests").
///
/// Without the variable, PostgreSQL tests are skipped with a visible reason, so `swift test`
/// passes on a machine without a server:
///
/// ```swift
/// @Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
/// struct MyPostgresTests {
///     @Test func roundTrip() throws {
///         let schema = try TemporaryPostgresSchema()
///         try schema.connection.execute("CREATE TABLE \(schema.name).t (a bigint)")
///     }
/// }
/// ```
public enum TestPostgres {
    /// The name of the environment variable holding the server's libpq URI.
    public static let variable = "LOADKIT_TEST_POSTGRES_URL"

    /// The server's URI, or `nil` when the variable is unset or empty.
    public static var url: String? {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
        return value
    }

    /// Whether a server is configured.
    public static var isAvailable: Bool { url != nil }

    /// Why PostgreSQL tests are skipped, for the `.enabled(if:_:)` trait.
    public static let skipReason: Comment =
        "set LOADKIT_TEST_POSTGRES_URL to a PostgreSQL server (.ci/postgres-server starts a throwaway one)"

    /// The server's URI.
    /// - Throws: ``Unavailable`` when no server is configured (a test without the trait).
    public static func requireURL() throws -> String {
        guard let url else { throw Unavailable() }
        return url
    }

    /// No PostgreSQL server is configured for this test run.
    public struct Unavailable: Error, CustomStringConvertible {
        /// The reason, with what to set.
        public var description: String { "no PostgreSQL server: \(TestPostgres.skipReason)" }
    }
}

/// A fresh schema on the test server (`lk_test_` and 16 hex digits) with its own connection,
/// dropped with everything in it when the value is released, so tests running in parallel
/// never share tables.
public final class TemporaryPostgresSchema {
    /// The schema's name, a plain lower-case SQL identifier.
    public let name: String
    /// A connection to the test server.
    public let connection: PGConnection
    /// The server's URI (``TestPostgres/url``).
    public let url: String

    /// Creates the schema.
    /// - Throws: ``TestPostgres/Unavailable`` without a server, or ``PostgresError``.
    public init() throws {
        url = try TestPostgres.requireURL()
        connection = try PGConnection(uri: url)
        name = "lk_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
        try connection.execute("CREATE SCHEMA \(name)")
    }

    deinit { _ = try? connection.execute("DROP SCHEMA IF EXISTS \(name) CASCADE") }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
