import LoadKit
import LoadKitPostgres
import LoadKitTesting
import Testing

@Suite(.enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresValueCodecTests {
    static let types: [ColumnType] = [.integer, .real, .text, .boolean, .date, .timestamp]
    /// Edge values in loadkit's storage forms, one row per case, in `types` order.
    static let rows: [[Value]] = [
        [.integer(Int64.max), .real(-0.0), .text(""), .integer(1), .text("2013-01-05"), .text("2013-01-05T10:00:00Z")],
        [.integer(Int64.min), .real(1e300), .text("Zürich 🚀 \t\n\\N"), .integer(0), .text("0001-01-01"), .text("2024-03-10T09:30:00.5Z")],
        [.null, .real(0.1), .null, .null, .null, .text("1999-12-31T23:59:59.123456Z")],
        [.integer(0), .real(.infinity), .text("NULL"), .integer(1), .text("9999-12-31"), .null],
        [.integer(-1), .real(-2.2250738585072014e-308), .text("'quoted' \"double\""), .integer(0), .text("2016-02-29"), .text("1970-01-01T00:00:00Z")],
    ]

    @Test("Edge values written by COPY read back as the same Values with the same fingerprint")
    func roundTrip() throws {
        let schema = try TemporaryPostgresSchema()
        let db = schema.connection
        try db.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
        let columns = Self.types.enumerated().map { "c\($0.offset) \(PostgresDialect.sqlType($0.element))" }
        try db.execute("CREATE TABLE \(schema.name).t (n bigint, \(columns.joined(separator: ", ")))")
        try db.copy("COPY \(schema.name).t FROM STDIN") { writer in
            for (index, row) in Self.rows.enumerated() {
                try writer.writeRow([String(index)] + zip(row, Self.types).map { PostgresValueCodec.encode($0, as: $1) })
            }
        }
        let read = try db.query("SELECT * FROM \(schema.name).t ORDER BY n").map { fields in
            try zip(fields.dropFirst(), Self.types).map { try #require(PostgresValueCodec.decode($0, as: $1)) }
        }
        #expect(read == Self.rows)
        var written = Fingerprint(), stored = Fingerprint()
        Self.rows.forEach { written.add($0) }
        read.forEach { stored.add($0) }
        #expect(stored == written)
        #expect(stored.hex == written.hex)
        // -0.0 keeps its sign (the fingerprint encodes the bits).
        #expect(read[0][1] == .real(-0.0) && { if case .real(let r) = read[0][1] { return r.sign == .minus }; return false }())
    }
}
