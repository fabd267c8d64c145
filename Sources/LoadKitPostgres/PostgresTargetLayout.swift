import LoadKit

/// What an existing target table looks like to a partition replace, read from the catalog once
/// per load (``PostgresDestination/ensureTable(_:)``), so that a table someone made or altered by
/// hand is written the way it allows (README "PostgreSQL warehouse", issue 13):
///
/// - **swap** (``PostgresReplaceWriter``) only for a table loadkit could have made itself: a
///   native partitioned table `PARTITION BY LIST` on the partition key column alone, every
///   partition one of loadkit's (a plain logged table named `_loadkit_p_` and 16 hex digits,
///   which loadkit creates holding exactly one key), no
///   DEFAULT partition (attaching a partition would scan it, and its rows of that key would make
///   the ATTACH fail) and no foreign key referencing the table or a partition (DETACH checks and
///   refuses one with referencing rows);
/// - **DELETE + INSERT in one transaction** (the staged commit) for every other table: a plain
///   table, a table partitioned another way (RANGE, HASH, LIST on another column or an
///   expression, sub-partitions), one with partitions named or bounded by someone else, a DEFAULT
///   partition or inbound foreign keys. The table's own partitioning routes the rows; loadkit
///   creates a partition `_loadkit_p_…` for a key only in a table partitioned by LIST on the key
///   column without a DEFAULT partition, and only for a key no partition holds yet;
/// - **refused** (``refusal``): an UNLOGGED table or partition, which PostgreSQL empties after a
///   server crash while the (logged) ledger would still call it loaded.
///
/// Two prepared catalog queries (one for a plain table), neither of which takes a lock on a table
/// of loadkit's own (so neither waits behind another load's swap): `pg_class` with
/// `pg_partitioned_table` for the table, then over its partitions (`pg_inherits`) the inbound
/// foreign keys (`pg_constraint.confrelid`) and the partitions that are not loadkit's (or not
/// logged) with their bounds (`pg_get_expr(relpartbound)`); for a table of loadkit's own the
/// second returns no rows, in well under a millisecond with 365 partitions.
/// PostgreSQL manual §5.11 "Table Partitioning", §53.11 `pg_class`, §53.39 `pg_partitioned_table`.
struct PostgresTargetLayout: Equatable {
    /// A partition that is not one of loadkit's own (or is UNLOGGED).
    struct Partition: Equatable {
        /// Its name in the schema.
        var name: String
        /// `true` for the DEFAULT partition.
        var isDefault: Bool
        /// The keys a LIST bound holds (`nil` for NULL); `nil` when the bound is not a list of
        /// values (DEFAULT, a RANGE or HASH bound, a partition of a partition).
        var keys: [String?]?
        /// `false` when UNLOGGED.
        var isLogged: Bool
    }

    /// `true` for a native partitioned table (`relkind` `p`).
    var isPartitioned = false
    /// Whether the table itself is UNLOGGED.
    var isLogged = true
    /// `PARTITION BY LIST` on the partition key column alone (the layout loadkit creates).
    var listOnKey = false
    /// The partition key as PostgreSQL shows it (`RANGE (event_date)`), for messages.
    var partitionKey: String?
    /// Foreign keys of other tables (or of this one) that reference this partitioned table or
    /// one of its partitions, as `constraint on table` (not read for a plain table, which never
    /// swaps).
    var inboundForeignKeys: [String] = []
    /// The partitions that are not loadkit's own or not logged, and the UNLOGGED partitions of
    /// those that are partitioned themselves.
    var foreignPartitions: [Partition] = []
    /// Whether a column of the table has more than loadkit gives it (NOT NULL, a default, a
    /// collation other than its type's; only a table made or altered by hand): then a swap's new
    /// tables copy the table's definition (`LIKE … INCLUDING DEFAULTS`) instead of writing out
    /// the columns, or `ATTACH` would refuse them.
    var hasColumnExtras = false

    /// The DEFAULT partition's name, if there is one.
    var defaultPartition: String? { foreignPartitions.first(where: \.isDefault)?.name }

    /// Whether a partition replace may swap partitions (see the type's documentation).
    var allowsSwap: Bool {
        isPartitioned && listOnKey && inboundForeignKeys.isEmpty && foreignPartitions.isEmpty
    }

    /// Whether a staged commit creates the missing partition `_loadkit_p_…` of a key.
    var createsPartitions: Bool { isPartitioned && listOnKey && defaultPartition == nil }

    /// Whether some partition that is not loadkit's holds `key` (then no `_loadkit_p_…`
    /// partition may be created for it).
    func foreignPartitionHolds(_ key: String) -> Bool {
        foreignPartitions.contains { $0.keys?.contains(key) == true }
    }

    /// The error that refuses any load into this table, or `nil` when loads may go on.
    /// - Parameters:
    ///   - table: the table's name.
    ///   - schema: its schema, for the commands the message suggests.
    ///   - location: the warehouse, for the message.
    func refusal(table: String, schema: String, location: String) -> LoadKitError? {
        let partitions = foreignPartitions.filter { !$0.isLogged }.map(\.name)
        guard !isLogged || !partitions.isEmpty else { return nil }
        let what: String, fix: String
        if !isLogged && isPartitioned {
            what = "is an UNLOGGED partitioned table"
            fix = "recreate it without UNLOGGED"
        } else if !isLogged {
            what = "is UNLOGGED"
            fix = "make it logged (ALTER TABLE \(PostgresDialect.qualified(schema, table)) SET LOGGED)"
        } else {
            what = "has UNLOGGED partitions (\(partitions.joined(separator: ", ")))"
            fix = "make them logged (" + partitions.map { "ALTER TABLE \(PostgresDialect.qualified(schema, $0)) SET LOGGED" }
                .joined(separator: "; ") + ")"
        }
        return LoadKitError(.unsupportedTarget,
            "table '\(table)' in \(location) (schema \(schema)) \(what): PostgreSQL empties an unlogged table after a "
            + "server crash, while loadkit's ledger would still say its rows are loaded; nothing was changed. To load "
            + "it, \(fix), or drop it and let loadkit create it")
    }

    /// Reads the layout of a table; an absent table reads as a plain logged one.
    /// - Parameters:
    ///   - connection: a connection (inside or outside a transaction).
    ///   - qualified: the table's schema-qualified, quoted name.
    ///   - partitionColumn: the partition key column loadkit declares, if any.
    /// - Throws: ``PostgresError``.
    static func read(on connection: PGConnection, qualified: String, partitionColumn: String?) throws -> Self {
        var layout = Self()
        // Prepared (planned once per connection), and only catalog columns and lock-free
        // functions: `pg_get_partkeydef` and `pg_partition_tree` take a lock on the table, and
        // would wait behind another load's swap.
        guard let row = try connection.execute(prepared: """
            SELECT c.relkind::text, c.relpersistence::text, p.partstrat::text,
                   p.partnatts = 1 AND p.partattrs[0] = a.attnum,
                   (SELECT string_agg(coalesce(quote_ident(k.attname), 'an expression'), ', ' ORDER BY u.n)
                    FROM unnest(p.partattrs::int2[]) WITH ORDINALITY u(attnum, n)
                    LEFT JOIN pg_attribute k ON k.attrelid = c.oid AND k.attnum = u.attnum AND u.attnum > 0),
                   EXISTS (SELECT 1 FROM pg_attribute x JOIN pg_type t ON t.oid = x.atttypid
                           WHERE x.attrelid = c.oid AND x.attnum > 0 AND NOT x.attisdropped
                             AND (x.attnotnull OR x.atthasdef OR x.attcollation <> t.typcollation))
            FROM pg_class c
            LEFT JOIN pg_partitioned_table p ON p.partrelid = c.oid
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.oid = to_regclass($1)
            """, [qualified, partitionColumn]).first else { return layout }
        layout.isPartitioned = row[0] == "p"
        layout.isLogged = row[1] != "u"
        guard layout.isPartitioned else { return layout }
        let strategy = ["l": "LIST", "r": "RANGE", "h": "HASH"][row[2] ?? ""] ?? "an unknown strategy"
        layout.partitionKey = "\(strategy) (\(row[4] ?? ""))"
        layout.listOnKey = row[2] == "l" && row[3] == "t"
        layout.hasColumnExtras = row[5] == "t"
        // One round trip over the table's partitions (pg_inherits): the foreign keys referencing
        // the table or one of them (one row for each partition too, `conparentid` set, so the
        // top-level ones name each once), and the partitions that are not loadkit's own, with
        // their bounds. loadkit's own partition is a plain logged table named `_loadkit_p_` and
        // 16 hex digits (loadkit creates it with the one key those digits stand for). Each
        // partition is looked up by its oid (LATERAL … OFFSET 0 keeps the index lookup rather than
        // a scan of all of pg_class), and `pg_get_expr` of a bound, which waits for a lock on the
        // parent, runs for the others only, of which a table of loadkit's own has none.
        var subPartitioned: [String] = []
        for row in try connection.execute(prepared: """
            WITH children AS (SELECT inhrelid AS oid FROM pg_inherits WHERE inhparent = to_regclass($1))
            SELECT 'f', format('%I on %s', f.conname, f.conrelid::regclass), NULL, NULL, NULL, NULL FROM pg_constraint f
            WHERE f.contype = 'f' AND f.conparentid = 0
              AND (f.confrelid = to_regclass($1) OR f.confrelid IN (SELECT oid FROM children))
            UNION ALL
            SELECT 'p', c.relname, pg_get_expr(c.relpartbound, c.oid), c.relpersistence::text, c.relkind::text, c.oid::text
            FROM children h, LATERAL (SELECT oid, relname, relkind, relpersistence, relpartbound FROM pg_class
                                      WHERE oid = h.oid OFFSET 0) c
            WHERE NOT (c.relkind = 'r' AND c.relpersistence = 'p' AND length(c.relname) = 27
                       AND starts_with(c.relname, '_loadkit_p_'))
            ORDER BY 1, 2
            """, [qualified]) {
            if row[0] == "f" {
                layout.inboundForeignKeys.append(row[1] ?? "")
                continue
            }
            let bound = row[2] ?? ""
            layout.foreignPartitions.append(Partition(name: row[1] ?? "", isDefault: bound == "DEFAULT",
                                                      keys: Self.listKeys(bound), isLogged: row[3] != "u"))
            if row[4] == "p", let oid = row[5] { subPartitioned.append(oid) }
        }
        // Partitions of partitions (made by hand only): their UNLOGGED ones refuse the load too.
        for oid in subPartitioned {
            for row in try connection.query("""
                WITH RECURSIVE tree(oid) AS (
                    SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::oid
                    UNION ALL SELECT i.inhrelid FROM tree t JOIN pg_inherits i ON i.inhparent = t.oid)
                SELECT c.relname FROM tree t JOIN pg_class c ON c.oid = t.oid WHERE c.relpersistence = 'u' ORDER BY 1
                """, [oid]) {
                layout.foreignPartitions.append(Partition(name: row[0] ?? "", isDefault: false, keys: nil, isLogged: false))
            }
        }
        return layout
    }

    /// The values of a LIST partition bound as `pg_get_expr` shows it — `FOR VALUES IN ('a',
    /// 'it''s', NULL)` gives `["a", "it's", nil]` — or `nil` for any other bound.
    static func listKeys(_ bound: String) -> [String?]? {
        let prefix = "FOR VALUES IN ("
        guard bound.hasPrefix(prefix), bound.hasSuffix(")") else { return nil }
        var rest = Substring(bound.dropFirst(prefix.count).dropLast())
        var keys: [String?] = []
        while !rest.isEmpty {
            if rest.hasPrefix("NULL") {
                keys.append(nil)
                rest = rest.dropFirst(4)
            } else if rest.first == "'" {
                // A string constant: '' stands for one quote (standard_conforming_strings).
                var value = ""
                var i = rest.index(after: rest.startIndex)
                while true {
                    guard i < rest.endIndex else { return nil }
                    if rest[i] == "'" {
                        let next = rest.index(after: i)
                        if next < rest.endIndex, rest[next] == "'" {
                            value.append("'")
                            i = rest.index(after: next)
                            continue
                        }
                        i = next
                        break
                    }
                    value.append(rest[i])
                    i = rest.index(after: i)
                }
                keys.append(value)
                rest = rest[i...]
            } else {
                return nil
            }
            if rest.hasPrefix(", ") { rest = rest.dropFirst(2) } else if !rest.isEmpty { return nil }
        }
        return keys
    }
}

extension LoadKitError.Code {
    /// The target table exists in a form loadkit cannot load into without breaking a guarantee
    /// (an UNLOGGED table on PostgreSQL); terminal.
    public static let unsupportedTarget = LoadKitError.Code("target.unsupported")
    /// A foreign key of another table refuses the removal of rows a replace covers; terminal.
    public static let referencedRows = LoadKitError.Code("target.referenced")
}
