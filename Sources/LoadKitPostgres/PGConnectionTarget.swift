/// Where a connection goes, as libpq resolved it from the URI, the `PG*` variables and its
/// defaults: for messages. Holds no password. PostgreSQL manual §34.1.2 "Parameter Key Words".
public struct PGConnectionTarget: Sendable, Equatable, CustomStringConvertible {
    /// The host name, IP address or Unix-socket directory (`PQhost`).
    public var host: String
    /// The port (`PQport`), as text.
    public var port: String
    /// The database name (`PQdb`).
    public var database: String
    /// The user name (`PQuser`).
    public var user: String

    /// Creates a target.
    public init(host: String, port: String, database: String, user: String) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
    }

    /// `host 127.0.0.1 port 5432 database postgres`.
    public var description: String { "host \(host) port \(port) database \(database)" }
}
