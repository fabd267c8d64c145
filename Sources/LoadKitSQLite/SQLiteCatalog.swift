/// The DDL of loadkit's own tables in a SQLite warehouse (SPEC.md §4).
///
/// `_loadkit_ledger.fingerprint_version` is the ``LoadKit/Fingerprint/Version`` of the entry's
/// `fingerprint` (`v2`); NULL, in entries written before it existed, means `v1`.
enum SQLiteCatalog {
    static let ddl = """
        CREATE TABLE IF NOT EXISTS _loadkit_ledger(
            table_name TEXT NOT NULL,
            partition_key TEXT,
            load_id TEXT NOT NULL,
            write_mode TEXT NOT NULL,
            rows INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            source_fingerprint TEXT NOT NULL,
            run_id TEXT NOT NULL,
            loaded_at TEXT NOT NULL,
            definition_fingerprint TEXT,
            partitioning TEXT,
            upstream TEXT,
            input TEXT,
            fingerprint_version TEXT,
            PRIMARY KEY (table_name, load_id)
        );
        CREATE INDEX IF NOT EXISTS _loadkit_ledger_partition ON _loadkit_ledger(table_name, partition_key);
        CREATE TABLE IF NOT EXISTS _loadkit_runs(
            run_id TEXT PRIMARY KEY,
            parent_run_id TEXT,
            command TEXT NOT NULL,
            args TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            pid INTEGER,
            host TEXT,
            plan TEXT,
            dismissed_at TEXT
        );
        CREATE TABLE IF NOT EXISTS _loadkit_attempts(
            run_id TEXT NOT NULL,
            table_name TEXT NOT NULL,
            partition_key TEXT,
            attempt INTEGER NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            rows INTEGER,
            error TEXT,
            input TEXT
        );
        CREATE INDEX IF NOT EXISTS _loadkit_attempts_run ON _loadkit_attempts(run_id);
        """

    /// The tables and indexes ``ddl`` creates.
    static let objects = ["_loadkit_ledger", "_loadkit_ledger_partition", "_loadkit_runs", "_loadkit_attempts",
                          "_loadkit_attempts_run"]

    /// Columns added after the first release, per table: added to an older warehouse's tables by
    /// ``SQLiteDestination/prepareCatalog()`` (`ALTER TABLE … ADD COLUMN`, NULL in old rows).
    static let addedColumns: [(table: String, column: String)] = [
        ("_loadkit_ledger", "definition_fingerprint"), ("_loadkit_ledger", "partitioning"),
        ("_loadkit_ledger", "upstream"), ("_loadkit_ledger", "input"), ("_loadkit_ledger", "fingerprint_version"),
        ("_loadkit_runs", "plan"), ("_loadkit_runs", "dismissed_at"),
        ("_loadkit_attempts", "input"),
    ]

    static let upsertLedger = """
        INSERT INTO _loadkit_ledger(table_name, partition_key, load_id, write_mode, rows, fingerprint,
                                    source_fingerprint, run_id, loaded_at, definition_fingerprint,
                                    partitioning, upstream, input, fingerprint_version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(table_name, load_id) DO UPDATE SET
            partition_key = excluded.partition_key, write_mode = excluded.write_mode,
            rows = excluded.rows, fingerprint = excluded.fingerprint,
            source_fingerprint = excluded.source_fingerprint, run_id = excluded.run_id,
            loaded_at = excluded.loaded_at, definition_fingerprint = excluded.definition_fingerprint,
            partitioning = excluded.partitioning, upstream = excluded.upstream, input = excluded.input,
            fingerprint_version = excluded.fingerprint_version
        """

    static let selectLedger = """
        SELECT table_name, partition_key, load_id, write_mode, rows, fingerprint, source_fingerprint,
               run_id, loaded_at, definition_fingerprint, partitioning, upstream, input, fingerprint_version
        FROM _loadkit_ledger
        """
}
