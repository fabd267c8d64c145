import Foundation
import LoadKit
@testable import LoadKitSQLite
import LoadKitTesting
import Testing

@Suite struct CheckpointPolicyTests {
    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }

    /// A fresh WAL database `w.db` with one empty table `t`, in a folder of its own (kept alive
    /// by the caller).
    private func newDatabase() throws -> (TemporaryDirectory, SQLiteConnection) {
        let dir = try TemporaryDirectory()
        let db = try SQLiteConnection(path: dir.path("w.db"))
        try db.execute("CREATE TABLE t(x BLOB)")
        return (dir, db)
    }

    /// Commits `pages` pages of new rows (one 4,000-byte blob a page).
    private func commit(pages: Int, on db: SQLiteConnection) throws {
        try db.transaction {
            for _ in 0..<pages { try db.execute("INSERT INTO t VALUES (randomblob(4000))") }
        }
    }

    @Test("A deferring commit past 1,000 log pages leaves the checkpoint due; checkpointIfDue copies the log into the file")
    func deferred() throws {
        let (dir, db) = try newDatabase()
        let path = dir.path("w.db")
        let before = try fileSize(path)
        try db.deferringCheckpoints { try commit(pages: 1_500, on: db) }
        #expect(db.checkpoints.due)
        // Only a checkpoint writes pages into the database file itself.
        #expect(try fileSize(path) == before)
        db.checkpointIfDue()
        #expect(!db.checkpoints.due)
        #expect(try fileSize(path) > 1_500 * 4_000)
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(1_500))
    }

    @Test("Without deferring, a commit past 1,000 log pages checkpoints at once, as SQLite's autocheckpoint does")
    func immediate() throws {
        let (dir, db) = try newDatabase()
        let path = dir.path("w.db")
        try commit(pages: 1_500, on: db)
        #expect(!db.checkpoints.due)
        #expect(try fileSize(path) > 1_500 * 4_000)
        // A deferring commit below the threshold leaves nothing due.
        try db.deferringCheckpoints { try commit(pages: 10, on: db) }
        #expect(!db.checkpoints.due)
    }
}
