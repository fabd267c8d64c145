/// What a SQL transform's partition is computed from: its SQL, its partition key, and the
/// ledger entries of its upstream tables for that partition (and their unpartitioned entries).
///
/// ``sourceFingerprint`` (the SHA-256 of all of it, 64 hex digits) is what the ledger records
/// as the transform's source fingerprint: it changes exactly when the transform's inputs do, so
/// a backfill skips an unchanged transform and `status` calls a changed one `stale`. The load
/// reads it inside its own transaction, so it describes the very snapshot the query read.
public struct TransformInputs: Sendable, Hashable {
    /// 64 hex digits.
    public let sourceFingerprint: String
    /// The upstream entries read, `table[@partition]=fingerprint` separated by spaces, in table
    /// then partition order (recorded in the ledger's `upstream` column).
    public let upstream: String

    /// Reads the upstream ledger entries from `destination`.
    /// - Parameters:
    ///   - sql: the transform's query text.
    ///   - key: the partition key (the `partitionKey:` argument), `nil` for an unpartitioned
    ///     transform.
    ///   - upstream: the tables it depends on.
    ///   - destination: the warehouse whose ledger holds the upstream entries.
    /// - Throws: the destination's error.
    public init(sql: String, partitionKey key: String?, upstream: [String], destination: any Destination) throws {
        var text = "sql\u{0}\(sql)\u{0}\(key ?? "")"
        var read: [String] = []
        for dependency in upstream.sorted() {
            let entries = try destination.ledger(table: dependency)
                .filter { key == nil || $0.partitionKey == key || $0.partitionKey == nil }
            for entry in entries {
                text += "\u{0}\(dependency)=\(entry.fingerprint.hex)"
                read.append(dependency + (entry.partitionKey.map { "@" + $0 } ?? "") + "=" + entry.fingerprint.hex)
            }
        }
        sourceFingerprint = HashingByteSource.sha256Hex(Array(text.utf8))
        self.upstream = read.joined(separator: " ")
    }
}
