import Foundation
import LoadKit

/// `_loadkit_notifications(table_name, partition_key, event, run_id, notified_at)`, one row per
/// (table, partition, event) notified; written in its own short transaction after the hook ran.
extension SQLiteDestination: NotificationLog {
    public func notifiedPartitions(table: String, event: String) throws -> Set<String> {
        guard try connection.scalar("SELECT count(*) FROM sqlite_master WHERE name = '_loadkit_notifications'")
                == .integer(1) else { return [] }
        return Set(try connection.query(
            "SELECT partition_key FROM _loadkit_notifications WHERE table_name = ? AND event = ?",
            [.text(table), .text(event)]).compactMap { $0.first?.textValue })
    }

    public func recordNotified(table: String, partitions: [String], event: String, runID: String, at: String) throws {
        try connection.transaction {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS _loadkit_notifications(
                    table_name TEXT NOT NULL, partition_key TEXT NOT NULL, event TEXT NOT NULL,
                    run_id TEXT NOT NULL, notified_at TEXT NOT NULL,
                    PRIMARY KEY (table_name, partition_key, event))
                """)
            let insert = try connection.prepare("""
                INSERT OR IGNORE INTO _loadkit_notifications(table_name, partition_key, event, run_id, notified_at)
                VALUES (?, ?, ?, ?, ?)
                """)
            for key in partitions {
                try insert.execute([.text(table), .text(key), .text(event), .text(runID), .text(at)])
            }
        }
    }
}
