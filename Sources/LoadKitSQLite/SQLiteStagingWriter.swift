import LoadKit

/// Writes staged rows into a staging table in the connection's TEMP schema.
///
/// A TEMP table belongs to one connection and lives in a temporary file that SQLite deletes as
/// soon as it opens it, so staging never takes the warehouse's write lock (loads of different
/// partitions stage in parallel, each on its own connection) and a crash at any moment leaves
/// no staging table behind. The table is dropped and created anew under its deterministic
/// name at the start of every load, so a retry in the same process starts clean. When the
/// temporary directory fills up, the error says so and names it (``SQLiteResourceFault``).
/// (https://www.sqlite.org/lang_createtable.html#temporary_tables,
/// https://www.sqlite.org/tempfiles.html)
final class SQLiteStagingWriter: StagingWriter {
    let name: String
    private let connection: SQLiteConnection
    private let insertStatement: SQLiteStatement
    private let text = RowTextBuffer()
    private let ownsTransaction: Bool

    init(name: String, connection: SQLiteConnection, table: TargetTable) throws {
        self.name = name
        self.connection = connection
        let columns = table.storedColumns
        let quoted = "temp." + Identifier.quoted(name)
        do {
            try connection.execute("DROP TABLE IF EXISTS \(quoted)")
            try connection.execute("CREATE TEMP TABLE \(Identifier.quoted(name)) ("
                + columns.map { "\(Identifier.quoted($0.name)) \($0.sqlType)" }.joined(separator: ", ") + ")")
            // Inside a load's own transaction (a transform) the rows join it; otherwise they are
            // inserted in one transaction of their own.
            self.ownsTransaction = connection.isAutocommit
            if ownsTransaction { try connection.execute("BEGIN") }
            self.insertStatement = try connection.prepare("INSERT INTO \(quoted) VALUES ("
                + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")")
        } catch let error as SQLiteError {
            throw Self.explain(error, connection)
        }
    }

    /// - Throws: ``LoadKitError`` `resource.disk_full` naming SQLite's temporary directory when
    ///   it fills up (see ``SQLiteResourceFault``), else ``SQLiteError``.
    func insert(_ row: UnsafeBufferPointer<Value>) throws {
        insertStatement.reset()
        do {
            try insertStatement.bindRow(row, scratch: text)
            try insertStatement.step()
        } catch let error as SQLiteError {
            throw Self.explain(error, connection)
        }
    }

    /// - Throws: as ``insert(_:)``.
    func finish() throws {
        do {
            if ownsTransaction { try connection.execute("COMMIT") }
        } catch let error as SQLiteError {
            throw Self.explain(error, connection)
        }
    }

    /// A staging fault explained: the TEMP table lives in SQLite's temporary directory.
    private static func explain(_ error: SQLiteError, _ connection: SQLiteConnection) -> any Error {
        SQLiteResourceFault.explain(error, phase: .staging, warehouse: connection.path,
                                    busyTimeout: connection.busyTimeout)
    }
}
