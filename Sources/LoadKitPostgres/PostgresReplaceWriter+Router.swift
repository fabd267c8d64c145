import LoadKit

/// The router of a dynamic load whose rows interleave partitions: a partitioned table
/// `_loadkit_new_<16 hex>_<8 hex>_r` (`PARTITION BY LIST` on the partition key) that exists only
/// inside the load's transaction, with each partition's table attached to it (their CHECK
/// constraints let `ATTACH` skip the scan), so that one `COPY` into it sends every row straight
/// to its partition's table however the input is ordered. A new partition restarts that COPY
/// (its table is attached first); the commit detaches the tables and drops the router before
/// publishing them. Rows routed are not frozen (`FREEZE` is refused on a partitioned table).
/// PostgreSQL manual §5.11.2.2 "Partition Maintenance", COPY "FREEZE".
extension PostgresReplaceWriter {
    /// The router's name (40 bytes).
    var routerName: String { baseName + "_r" }

    /// Creates the router, attaches every table started so far, and starts the COPY into it,
    /// in one round trip. The COPY in progress must have been ended.
    /// - Throws: ``PostgresError``.
    func startRouting() throws {
        let router = destination.qualified(routerName)
        var sql = "CREATE TABLE \(router) (\(columnDefinitions)) "
            + "PARTITION BY LIST (\(PostgresDialect.quote(table.partitioning?.column ?? ""))); "
        for key in partitions {
            sql += "ALTER TABLE \(router) ATTACH PARTITION \(destination.qualified(tableOf[key]!)) "
                + "FOR VALUES IN (\(PostgresDialect.literal(key))); "
        }
        routed = true
        copy = try connection.beginCopy(sql + "COPY \(router) (\(columnList)) FROM STDIN")
    }

    /// Detaches every table from the router and drops it, in one round trip.
    /// - Throws: ``PostgresError``.
    func stopRouting() throws {
        let router = destination.qualified(routerName)
        try connection.execute(partitions.map {
            "ALTER TABLE \(router) DETACH PARTITION \(destination.qualified(tableOf[$0]!)); "
        }.joined() + "DROP TABLE \(router)")
        routed = false
    }
}
