import LoadKit

/// Writes staged rows into a TEMP table of the destination's connection by `COPY … FROM STDIN`
/// (SPEC.md §7: rows reach PostgreSQL by COPY, never row-by-row INSERTs).
///
/// The TEMP table is created `ON COMMIT DROP` inside the staged load's one transaction
/// (``PostgresDestination/createStaging(_:for:)``) and vanishes when it ends, however it ends, so
/// a crash at any moment leaves no staging table behind, staging takes no lock on the target,
/// and a pool in transaction mode never hands the table to another client. It is created anew under its
/// deterministic name (a leftover of the same name dropped first) when the first row comes, or
/// at ``finish()`` when none does: so a SQL transform's query runs before anything in its load's
/// transaction writes, which lets ``PostgresReadOnlyQuery`` check that the query itself wrote
/// nothing. A transform's rows come in batches from a cursor on the same connection, which
/// cannot `FETCH` while a `COPY` is open: ``suspend()`` ends the COPY in progress, and the next
/// row starts another. PostgreSQL manual, CREATE TABLE "TEMPORARY", COPY.
final class PostgresStagingWriter: StagingWriter {
    /// 0: rows go to the server from the first batch, so it creates the table and starts the
    /// COPY while the client parses the rest.
    var rowsParsedBeforeWriting: Int { 0 }

    let name: String
    private let connection: PGConnection
    private let columns: [TargetTable.StoredColumn]
    private let types: [ColumnType]
    private var created = false
    private var copy: PGCopyWriter?
    private var finished = false

    init(name: String, destination: PostgresDestination, table: TargetTable) {
        self.name = name
        connection = destination.connection
        columns = table.storedColumns
        types = PostgresDestination.columnTypes(columns)
    }

    private var quoted: String { "pg_temp." + PostgresDialect.quote(name) }

    /// Creates the table when it does not exist yet.
    /// - Throws: ``PostgresError`` when it cannot be created.
    private func create() throws {
        guard !created else { return }
        try connection.execute("DROP TABLE IF EXISTS \(quoted)")
        try connection.execute("CREATE TEMP TABLE \(PostgresDialect.quote(name)) ("
            + columns.map { "\(PostgresDialect.quote($0.name)) \(PostgresDestination.postgresType($0.sqlType))" }
                .joined(separator: ", ") + ") ON COMMIT DROP")
        created = true
    }

    /// - Throws: ``PostgresError`` when the table cannot be created, the COPY is refused or
    ///   fails.
    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        if copy == nil {
            try create()
            copy = try connection.beginCopy("COPY \(quoted) (" + columns.map { PostgresDialect.quote($0.name) }
                .joined(separator: ", ") + ") FROM STDIN")
        }
        try copy!.writeRow(values: row, types: types)
    }

    /// Ends the COPY in progress, if any, keeping its rows; the next ``insert(_:)`` starts a
    /// new one.
    /// - Throws: ``PostgresError``: the COPY's error.
    func suspend() throws {
        guard let copy else { return }
        self.copy = nil
        try copy.finish()
    }

    func finish() throws {
        guard !finished else { return }
        try suspend()
        try create()
        finished = true
    }

    /// Ends an unfinished COPY (the load failed before ``finish()``), so the connection is usable.
    func abandon() {
        copy?.abort()
        copy = nil
    }
}
