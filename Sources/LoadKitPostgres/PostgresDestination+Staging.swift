import LoadKit

/// Staged loads on PostgreSQL: one transaction, opened by ``createStaging(_:for:)``, in which a
/// TEMP staging table (`ON COMMIT DROP`) is filled by COPY, then the commit removes what the load
/// covers, inserts the staged rows, upserts the ledger and commits. Nothing of it outlives the
/// transaction, so a pool in transaction mode (PgBouncer) can lend each load any server
/// connection; a SQL transform's load joins its own transaction (``transaction(_:)``) instead.
extension PostgresDestination {
    /// Opens the staged load's transaction (`BEGIN`, READ COMMITTED: the commit's statements see
    /// what other loads committed meanwhile, after its advisory locks), unless a load transaction
    /// is open, and returns a writer into a TEMP table created in it.
    /// - Throws: ``PostgresError`` when `BEGIN` fails.
    public func createStaging(_ name: String, for table: TargetTable) throws -> any StagingWriter {
        abandonStaging()
        if !inLoadTransaction {
            try connection.execute("BEGIN")
            inStagingTransaction = true
        }
        let writer = PostgresStagingWriter(name: name, destination: self, table: table)
        openStaging = writer
        return writer
    }

    /// Ends a staging COPY a failed load left open, and rolls back its staged load's transaction
    /// (its TEMP table with it), so the connection can run statements again.
    func abandonStaging() {
        openStaging?.abandon()
        openStaging = nil
        if inStagingTransaction {
            inStagingTransaction = false
            // Nothing of a staged load is committed before its commit; a rollback that fails
            // (the connection lost) is done by the server when the session ends.
            _ = try? connection.execute("ROLLBACK")
        }
    }

    /// Drops a staging table, or a replace's leftover build table (`_loadkit_new_…`). A staging
    /// table lives inside its load's transaction: outside a transform's, ending that transaction
    /// (``abandonStaging()``) is what drops it.
    public func dropStaging(_ name: String) throws {
        abandonStaging()
        if name.hasPrefix(PostgresReplaceWriter.buildPrefix) {
            try connection.execute("DROP TABLE IF EXISTS \(qualified(name))")
        } else if inLoadTransaction {
            try connection.execute("DROP TABLE IF EXISTS pg_temp.\(PostgresDialect.quote(name))")
        }
    }

    /// This session's staging tables (in use), and the committed build tables of partition
    /// replaces in the schema (`_loadkit_new_…`). This loadkit builds inside its load's one
    /// transaction and never commits one; an older loadkit committed them before its swap, in use
    /// while its load held their lease (``PostgresReplaceWriter/buildLockName(_:)``): such a
    /// leftover is for `gc` once its lease expired or its holder is a dead process of this host.
    public func stagingTables() throws -> [(name: String, inUse: Bool)] {
        let temp = try connection.query("""
            SELECT c.relname FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'r'
            AND starts_with(c.relname, $1) ORDER BY 1
            """, [LoadID.stagingPrefix]).compactMap { $0[0] }.map { (name: $0, inUse: true) }
        let built = try connection.query("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind = 'r' AND starts_with(c.relname, $2) ORDER BY 1
            """, [schema, PostgresReplaceWriter.buildPrefix]).compactMap { $0[0] }
        var result = temp
        for name in built {
            // A dynamic load's per-partition tables (`…_<16 hex>` more) share its build lease.
            let lock = PostgresReplaceWriter.buildLockName(PostgresReplaceWriter.baseBuildName(name))
            result.append((name, try locks.isHeld(lock, on: connection)))
        }
        return result
    }

    /// In the staged load's transaction: the partitions' advisory locks (a partitioned target;
    /// the table's for an unpartitioned or plain one), the fence (``fence()``: this load still
    /// holds its leases), the missing partitions (where the layout lets loadkit create them),
    /// `DELETE` of what the load covers, `INSERT … SELECT` of the staged rows, the ledger upsert,
    /// then `beforeCommit`, and COMMIT (inside a transform's transaction, its caller commits).
    /// - Throws: ``LoadKit/LoadKitError`` `target.lock_lost` (transient) when a lease of this
    ///   load expired or was taken, `target.referenced` when a foreign key refuses the `DELETE`,
    ///   `target.unsupported` when no partition of the table accepts some rows; else
    ///   ``PostgresError``. Then nothing changed.
    public func commit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws {
        do {
            try stagedCommit(plan, beforeCommit: beforeCommit)
            if inStagingTransaction {
                // Ended whatever COMMIT answers: a refused COMMIT (a deferred constraint) rolls back.
                inStagingTransaction = false
                try connection.execute("COMMIT")
            }
        } catch {
            abandonStaging()
            try explainCommitFailure(error, plan: plan)
        }
    }

    /// Rethrows the error of a staged commit, a deferred foreign key's said in loadkit's terms.
    private func explainCommitFailure(_ error: any Error, plan: CommitPlan) throws -> Never {
        guard let error = error as? PostgresError, error.sqlState == "23503", !inLoadTransaction else { throw error }
        // A DEFERRABLE INITIALLY DEFERRED foreign key is checked at COMMIT, after the DELETE and
        // INSERT (an immediate one's refusal is explained by `explained(_:table:layout:)`):
        // referencing rows point at keys the new rows no longer have.
        let server = error.message + (error.detail.map { " (\($0))" } ?? "")
        throw LoadKitError(.referencedRows,
            "table '\(plan.table.name)' in \(location) (schema \(schema)): \(server); a deferred foreign key checked at "
            + "the commit refused the load's new rows (rows elsewhere reference keys they no longer have); nothing was "
            + "changed. Update or delete the referencing rows, or load data that keeps the keys they reference")
    }

    private func stagedCommit(_ plan: CommitPlan, beforeCommit: () throws -> Void) throws {
        try writing {
            let table = plan.table
            let target = qualified(table.name)
            let staged = "pg_temp." + PostgresDialect.quote(plan.stagingName)
            let columns = table.storedColumns.map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
            let layout = try layout(of: table)
            if let partitioning = table.partitioning, layout.isPartitioned {
                let column = PostgresDialect.quote(partitioning.column)
                let keys = try connection.query("SELECT DISTINCT \(column) FROM \(staged) WHERE \(column) IS NOT NULL")
                    .compactMap { $0[0] }
                var covered = keys
                if case .partitions(let replaced) = plan.scope { covered = Array(Set(keys + replaced)) }
                try lockPartitions(table, covered)
                try fence()
                if layout.createsPartitions { try createMissingPartitions(table, keys, layout: layout) }
            } else {
                try connection.execute("SELECT pg_advisory_xact_lock($1)",
                                       [PostgresLockKey(schema: schema, table: table.name, partition: nil).description])
                try fence()
            }
            do {
                switch plan.scope {
                case .partitions(let keys):
                    let column = PostgresDialect.quote(table.partitioning?.column ?? "")
                    for key in keys { try connection.execute("DELETE FROM \(target) WHERE \(column) = $1", [key]) }
                case .wholeTable:
                    try connection.execute("DELETE FROM \(target)")
                case .loadID(let id):
                    try connection.execute("DELETE FROM \(target) WHERE \(PostgresDialect.quote(TargetTable.loadIDColumn)) = $1", [id])
                case .nothing:
                    break
                }
                try connection.execute("INSERT INTO \(target) (\(columns)) SELECT \(columns) FROM \(staged)")
            } catch let error as PostgresError {
                throw explained(error, table: table, layout: layout)
            }
            try upsertLedger(plan.ledger)
            try beforeCommit()
        }
    }

    /// The error of a staged commit's `DELETE` or `INSERT` said in loadkit's terms where the
    /// target's own design refused it: a foreign key referencing rows the load replaces (23503),
    /// or no partition accepting a row (23514 "no partition of relation … found for row").
    func explained(_ error: PostgresError, table: TargetTable, layout: PostgresTargetLayout) -> any Error {
        let server = error.message + (error.detail.map { " (\($0))" } ?? "")
        switch error.sqlState {
        case "23503":
            return LoadKitError(.referencedRows,
                "table '\(table.name)' in \(location) (schema \(schema)): \(server); loadkit replaces these rows by DELETE and INSERT in one "
                + "transaction (foreign keys reference the table, so partitions are not swapped), and the foreign key refuses "
                + "the DELETE; nothing was changed. Make the constraint DEFERRABLE INITIALLY DEFERRED (checked at the commit, "
                + "once the new rows are in) or ON DELETE CASCADE, or delete the referencing rows first")
        case "23514" where error.message.hasPrefix("no partition of relation"):
            let created = layout.listOnKey
                ? "none of its partitions holds these rows, and loadkit could not read their bounds to add one"
                : "it is partitioned by \(layout.partitionKey ?? "another key"), and loadkit creates partitions only in a "
                    + "table partitioned by LIST on its partition column"
            return LoadKitError(.unsupportedTarget,
                "table '\(table.name)' in \(location) (schema \(schema)): \(server): \(created); nothing was changed. Create the partition "
                + "these rows belong to (or a DEFAULT partition), then load again")
        default:
            return error
        }
    }

    /// Takes the transaction-level advisory lock of each partition, in sorted order (no
    /// deadlock between two loads covering overlapping partitions), as the commit's first step
    /// before its fence (SPEC.md §7, ``PostgresLockKey``).
    func lockPartitions(_ table: TargetTable, _ keys: [String]) throws {
        for key in Set(keys).sorted() {
            try connection.execute("SELECT pg_advisory_xact_lock($1)",
                                   [PostgresLockKey(schema: schema, table: table.name, partition: key).description])
        }
    }

    /// Creates the PostgreSQL partition `_loadkit_p_…` of each key that no partition holds yet
    /// (`CREATE TABLE … PARTITION OF … FOR VALUES IN`), inside the open transaction.
    func createMissingPartitions(_ table: TargetTable, _ keys: [String], layout: PostgresTargetLayout) throws {
        let swap = PostgresPartitionSwap(connection: connection, schema: schema, table: table.name,
                                         partitionColumn: table.partitioning?.column ?? "")
        for key in keys where !layout.foreignPartitionHolds(key) {
            let name = swap.partitionName(key)
            if try connection.scalar("SELECT to_regclass($1)", [qualified(name)]) != nil { continue }
            try connection.execute("CREATE TABLE \(qualified(name)) PARTITION OF \(qualified(table.name)) "
                                   + "FOR VALUES IN (\(PostgresDialect.literal(key)))")
        }
    }

    public func fingerprints(ofStaging name: String, table: TargetTable,
                             version: Fingerprint.Version) throws -> [String?: Fingerprint] {
        let columns = table.storedColumns
        let types = Self.columnTypes(columns)
        let keyIndex = table.partitioning.flatMap { p in columns.firstIndex { $0.name == p.column } }
        var result: [String?: Fingerprint] = [:]
        let list = columns.map { PostgresDialect.quote($0.name) }.joined(separator: ", ")
        try forEachValueRow("SELECT \(list) FROM pg_temp.\(PostgresDialect.quote(name))", [], types: types) { row in
            var key: String?
            if let keyIndex, case .text(let k) = row[keyIndex] { key = k }
            result[key, default: Fingerprint(version: version)].add(row)
        }
        return result
    }
}
