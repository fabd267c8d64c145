import Foundation
import LoadKit

/// Writes staged rows into a staging table that lives in its own SQLite file.
///
/// The file holds nothing but the staging table, so it is opened with `journal_mode=OFF` and
/// `synchronous=OFF`: a crash can only ever leave a leftover file, which the next run of the
/// same load id deletes and rebuilds (https://www.sqlite.org/pragma.html#pragma_journal_mode).
/// Staging in separate files lets loads of different partitions stage in parallel; only the
/// final swap takes the warehouse's write lock.
final class SQLiteStagingWriter: StagingWriter {
    let name: String
    let path: String
    private let connection: SQLiteConnection
    private let insertStatement: SQLiteStatement
    private let columnCount: Int32

    init(name: String, path: String, table: TargetTable) throws {
        self.name = name
        self.path = path
        SQLiteStagingWriter.removeFiles(at: path)
        let connection = try SQLiteConnection(path: path, walJournal: false)
        try connection.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16384")
        let columns = table.storedColumns
        try connection.execute("CREATE TABLE \(Identifier.quoted(name)) ("
            + columns.map { "\(Identifier.quoted($0.name)) \($0.sqlType)" }.joined(separator: ", ") + ")")
        try connection.execute("BEGIN")
        self.insertStatement = try connection.prepare("INSERT INTO \(Identifier.quoted(name)) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")")
        self.connection = connection
        self.columnCount = Int32(columns.count)
    }

    func insert(_ row: [Value]) throws {
        insertStatement.reset()
        for i in 0..<columnCount {
            try insertStatement.bind(row[Int(i)], at: i + 1)
        }
        try insertStatement.step()
    }

    func finish() throws {
        try connection.execute("COMMIT")
    }

    /// Deletes a staging file and any journal beside it; no error when absent.
    static func removeFiles(at path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            unlink(path + suffix)
        }
    }
}
