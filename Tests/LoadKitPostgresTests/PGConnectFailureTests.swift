import Foundation
import LoadKitPostgres
import Testing

/// Connection failures need no server: nothing listens on port 1 of the loopback address.
@Suite struct PGConnectFailureTests {
    @Test("A refused connection names host, port, database and libpq's reason, never the password")
    func refused() throws {
        let error = try #require(throws: PostgresError.self) {
            try PGConnection(uri: "postgresql://loader:s3cret-pw@127.0.0.1:1/sales")
        }
        #expect(error.sqlState == "08001")
        #expect(error.isTransient)
        #expect(error.message.hasPrefix("cannot connect to PostgreSQL at host 127.0.0.1 port 1 database sales: "))
        #expect(error.message.contains("Connection refused"))
        #expect(!error.description.contains("s3cret-pw"))
        #expect(!error.message.contains("\n"))
    }

    @Test("An unreachable host fails within the connect timeout instead of hanging")
    func unreachable() throws {
        let clock = ContinuousClock()
        let start = clock.now
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so the attempt waits or fails at once.
        let error = try #require(throws: PostgresError.self) {
            try PGConnection(uri: "postgresql://loader:s3cret-pw@192.0.2.1:5432/sales", connectTimeout: 1)
        }
        #expect(clock.now - start < .seconds(4))
        #expect(error.message.hasPrefix("cannot connect to PostgreSQL at host 192.0.2.1 port 5432 database sales: "))
        #expect(!error.description.contains("s3cret-pw"))
    }

    @Test("A malformed URI is refused without echoing its password")
    func malformed() throws {
        let error = try #require(throws: PostgresError.self) {
            try PGConnection(uri: "postgresql://loader:s3cret-pw@127.0.0.1:1/sales?nosuchoption=1")
        }
        #expect(error.sqlState == "08001")
        #expect(error.message.contains("nosuchoption"))
        #expect(!error.description.contains("s3cret-pw"))
    }

    @Test("Errors are classified from SQLSTATE: lock, deadlock, serialization, connection, shutdown are transient")
    func classification() {
        for state in ["40001", "40P01", "55P03", "08006", "08003", "57P01", "57P02", "57P03", "53300"] {
            #expect(PostgresError(sqlState: state, message: "m").isTransient, "\(state)")
        }
        for state in ["22P02", "22003", "23505", "23502", "42P01", "42601", "57014", "XX000", "40002"] {
            #expect(!PostgresError(sqlState: state, message: "m").isTransient, "\(state)")
        }
    }
}
