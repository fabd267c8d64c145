import LoadKit

/// How loadkit's connections reach the server: directly (or through a pool in session mode), or
/// through a pool in transaction mode (PgBouncer `pool_mode = transaction`), declared in the
/// warehouse URI with the loadkit parameter `loadkit_pool=transaction`
/// (`postgres://loader@pgbouncer:6432/wh?loadkit_pool=transaction`), which loadkit removes
/// before libpq reads the URI.
///
/// A transaction pool lends each transaction whichever server connection is free, so nothing
/// may outlive a transaction. loadkit keeps nothing across transactions in either mode (its load
/// locks are lease rows plus transaction-level advisory locks, its staging tables live inside one
/// transaction); the mode switches what costs more without a pool:
/// - statements are not prepared by name (``PGConnection/preparesStatements``): PgBouncer 1.18
///   (Debian 12) does not keep them, and another client's statement of the same name could
///   answer; unnamed, each is planned again (measured 0.5 ms instead of 0.08 ms for the layout
///   query, twice per load);
/// - no session setting that PgBouncer does not track is set: `extra_float_digits` (its
///   default, 1 since PostgreSQL 12, is what loadkit needs) and a reader's
///   `default_transaction_read_only`, replaced by `READ ONLY` on each of its transactions.
///   `TimeZone` and `DateStyle` are set as before: PgBouncer tracks both and sets them again on
///   every server connection it lends this client (PgBouncer docs, "Transaction pooling").
/// PgBouncer docs, "pool_mode"; PostgreSQL manual §34.1.1 "Connection Strings".
public enum PostgresPoolMode: String, Sendable {
    /// Directly to the server, or through a pool in session mode (the default).
    case session
    /// Through a pool in transaction mode.
    case transaction

    /// The loadkit parameter of a warehouse URI that declares the mode.
    public static let parameter = "loadkit_pool"

    /// The mode a warehouse URI declares and the URI without that parameter, for libpq.
    /// - Parameter uri: a libpq connection URI, perhaps with `loadkit_pool=session|transaction`
    ///   among its query parameters.
    /// - Returns: the mode (``session`` when not declared) and the URI left for libpq.
    /// - Throws: ``LoadKit/LoadKitError`` `resource.connection` (terminal) for another value.
    public static func split(_ uri: String) throws -> (mode: PostgresPoolMode, uri: String) {
        guard let question = uri.firstIndex(of: "?") else { return (.session, uri) }
        let base = String(uri[..<question])
        var kept: [Substring] = []
        var mode = PostgresPoolMode.session
        for piece in uri[uri.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true) {
            guard piece.hasPrefix(parameter + "=") else {
                kept.append(piece)
                continue
            }
            let value = String(piece.dropFirst(parameter.count + 1))
            guard let declared = PostgresPoolMode(rawValue: value) else {
                throw LoadKitError(.resourceConnection,
                    "the warehouse URI's \(parameter)=\(value) is not a pool mode: write \(parameter)=transaction behind "
                    + "a pool in transaction mode (PgBouncer pool_mode = transaction), or leave it out (session)",
                    isTransient: false)
            }
            mode = declared
        }
        return (mode, kept.isEmpty ? base : base + "?" + kept.joined(separator: "&"))
    }
}
