/// loadkit's own tables in a PostgreSQL warehouse, in the configured `schema:` (SPEC.md §4, §7):
/// the same names and columns as on SQLite (`_loadkit_ledger`, `_loadkit_runs`,
/// `_loadkit_attempts`, `_loadkit_notifications`), with PostgreSQL types (and a serial column
/// ordering runs and attempts as SQLite's rowid does), plus `_loadkit_leases`, one row per
/// (table, partition) lock held, naming its holder (owner run, token, holder, times), and
/// `_loadkit_tasks`, the queue of queued runs (``PostgresQueue``).
public enum PostgresCatalog {
    /// The tables ``prepare(on:schema:)`` creates, in order.
    public static let tables = ["_loadkit_ledger", "_loadkit_runs", "_loadkit_attempts", "_loadkit_leases",
                                 "_loadkit_notifications", "_loadkit_tasks"]

    /// Creates the schema and loadkit's tables when absent; existing ones are left as they are.
    ///
    /// Runs in one transaction under an advisory lock on the schema's catalog key, so that
    /// loads starting at once on several machines do not race on `CREATE TABLE IF NOT EXISTS`
    /// (which can fail with a unique violation in `pg_type` when two run together).
    /// - Parameters:
    ///   - connection: a connection outside a transaction.
    ///   - schema: the warehouse's `schema:`.
    /// - Throws: ``PostgresError``.
    public static func prepare(on connection: PGConnection, schema: String) throws {
        // When everything exists, no DDL runs: `CREATE INDEX IF NOT EXISTS` locks its table
        // (SHARE) before it checks the name, so it would wait behind any load's open commit.
        let names = tables + ["_loadkit_ledger_partition", "_loadkit_attempts_run", "_loadkit_tasks_active",
                              "_loadkit_tasks_ready", "_loadkit_tasks_task", "_loadkit_tasks_run_active"]
        // A catalog of a loadkit from before lease rows lacks their `scope` column: the DDL adds it.
        let present = try connection.query("""
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $1 AND c.relname = ANY($2::text[])),
                   (SELECT count(*) FROM pg_attribute
                    WHERE attrelid = to_regclass($3) AND attname = 'scope' AND NOT attisdropped)
            """, [schema, "{" + names.joined(separator: ",") + "}",
                  PostgresDialect.qualified(schema, "_loadkit_leases")]).first
        if present == [String(names.count), "1"] { return }
        let key = PostgresLockKey(schema: schema, table: "_loadkit_catalog", partition: nil)
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [key.description])
            try connection.execute(ddl(schema: schema))
        }
    }

    /// The DDL, with every name qualified by `schema`.
    static func ddl(schema: String) -> String {
        let q = { (name: String) in PostgresDialect.qualified(schema, name) }
        return """
            CREATE SCHEMA IF NOT EXISTS \(PostgresDialect.quote(schema));
            CREATE TABLE IF NOT EXISTS \(q("_loadkit_ledger"))(
                table_name text NOT NULL,
                partition_key text,
                load_id text NOT NULL,
                write_mode text NOT NULL,
                rows bigint NOT NULL,
                fingerprint text NOT NULL,
                source_fingerprint text NOT NULL,
                run_id text NOT NULL,
                loaded_at text NOT NULL,
                definition_fingerprint text,
                partitioning text,
                upstream text,
                input text,
                fingerprint_version text,
                PRIMARY KEY (table_name, load_id)
            );
            CREATE INDEX IF NOT EXISTS _loadkit_ledger_partition ON \(q("_loadkit_ledger"))(table_name, partition_key);
            CREATE TABLE IF NOT EXISTS \(q("_loadkit_runs"))(
                seq bigserial NOT NULL,
                run_id text PRIMARY KEY,
                parent_run_id text,
                command text NOT NULL,
                args text NOT NULL,
                started_at text NOT NULL,
                finished_at text,
                status text NOT NULL,
                pid bigint,
                host text,
                plan text,
                dismissed_at text
            );
            CREATE TABLE IF NOT EXISTS \(q("_loadkit_attempts"))(
                id bigserial PRIMARY KEY,
                run_id text NOT NULL,
                table_name text NOT NULL,
                partition_key text,
                attempt bigint NOT NULL,
                status text NOT NULL,
                started_at text NOT NULL,
                finished_at text,
                rows bigint,
                error text,
                input text,
                worker text
            );
            ALTER TABLE \(q("_loadkit_attempts")) ADD COLUMN IF NOT EXISTS worker text;
            CREATE INDEX IF NOT EXISTS _loadkit_attempts_run ON \(q("_loadkit_attempts"))(run_id);
            CREATE TABLE IF NOT EXISTS \(q("_loadkit_leases"))(
                lock_key text PRIMARY KEY,
                owner_run_id text NOT NULL,
                token text NOT NULL,
                holder text NOT NULL,
                acquired_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL,
                host text,
                pid bigint,
                scope text
            );
            ALTER TABLE \(q("_loadkit_leases")) ADD COLUMN IF NOT EXISTS host text, ADD COLUMN IF NOT EXISTS pid bigint,
                ADD COLUMN IF NOT EXISTS scope text;
            -- Rows of a loadkit from before leases never expired (a session advisory lock guarded
            -- them): from now on they are expired, free for the next acquirer.
            UPDATE \(q("_loadkit_leases")) SET expires_at = now() WHERE expires_at = 'infinity';
            CREATE TABLE IF NOT EXISTS \(q("_loadkit_notifications"))(
                table_name text NOT NULL,
                partition_key text NOT NULL,
                event text NOT NULL,
                run_id text NOT NULL,
                notified_at text NOT NULL,
                PRIMARY KEY (table_name, partition_key, event)
            );
            CREATE TABLE IF NOT EXISTS \(q("_loadkit_tasks"))(
                seq bigserial NOT NULL,
                run_id text NOT NULL,
                task_id text NOT NULL,
                table_name text NOT NULL,
                partition_key text,
                depends_on text[] NOT NULL DEFAULT '{}',
                state text NOT NULL,
                force boolean NOT NULL DEFAULT false,
                attempt integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL,
                expiries integer NOT NULL DEFAULT 0,
                next_run_at timestamptz NOT NULL DEFAULT now(),
                lease_token text,
                lease_owner text,
                lease_session text,
                lease_expires_at timestamptz,
                attempt_id bigint,
                rows bigint NOT NULL DEFAULT 0,
                error text,
                enqueued_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                PRIMARY KEY (run_id, task_id)
            );
            CREATE UNIQUE INDEX IF NOT EXISTS _loadkit_tasks_active ON \(q("_loadkit_tasks"))(task_id)
                WHERE state IN ('queued', 'running');
            CREATE INDEX IF NOT EXISTS _loadkit_tasks_ready ON \(q("_loadkit_tasks"))(seq)
                WHERE state IN ('queued', 'running');
            CREATE INDEX IF NOT EXISTS _loadkit_tasks_task ON \(q("_loadkit_tasks"))(task_id);
            CREATE INDEX IF NOT EXISTS _loadkit_tasks_run_active ON \(q("_loadkit_tasks"))(run_id)
                WHERE state IN ('queued', 'running');
            """
    }
}
