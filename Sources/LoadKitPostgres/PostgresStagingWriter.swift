import LoadKit

/// Writes staged rows into a TEMP table of the destination's connection by `COPY … FROM STDIN`
/// (SPEC.md §7: rows reach PostgreSQL by COPY, never row-by-row INSERTs).
///
/// A TEMP table belongs to one session and vanishes with it, so a crash at any moment leaves no
/// staging table behind and staging takes no lock on the target. It is created anew under its
/// deterministic name at the start of every load. PostgreSQL manual, CREATE TABLE "TEMPORARY",
/// COPY.
final class PostgresStagingWriter: StagingWriter {
    let name: String
    private let copy: PGCopyWriter
    private let types: [ColumnType]

    /// - Throws: ``PostgresError`` when the table cannot be created or the COPY refused.
    init(name: String, destination: PostgresDestination, table: TargetTable) throws {
        self.name = name
        let connection = destination.connection
        let columns = table.storedColumns
        types = PostgresDestination.columnTypes(columns)
        let quoted = "pg_temp." + PostgresDialect.quote(name)
        try connection.execute("DROP TABLE IF EXISTS \(quoted)")
        try connection.execute("CREATE TEMP TABLE \(PostgresDialect.quote(name)) ("
            + columns.map { "\(PostgresDialect.quote($0.name)) \(PostgresDestination.postgresType($0.sqlType))" }
                .joined(separator: ", ") + ")")
        copy = try connection.beginCopy("COPY \(quoted) (" + columns.map { PostgresDialect.quote($0.name) }
            .joined(separator: ", ") + ") FROM STDIN")
    }

    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        try copy.writeRow(values: row, types: types)
    }

    func finish() throws {
        try copy.finish()
    }

    /// Ends an unfinished COPY (the load failed before ``finish()``), so the connection is usable.
    func abandon() { copy.abort() }
}
