import Foundation
import LoadKit

/// How a SQL transform's query runs on PostgreSQL (SPEC.md §1 G7, §7): as one read-only query,
/// refused before it runs when it is anything else, inside the open transaction (the load's own),
/// its rows read in bounded batches while the same connection copies them into staging.
///
/// The guards, in order, each before anything of the query runs unless said:
/// 1. the text (``PostgresQueryText``): one statement starting like a query, balanced
///    parentheses;
/// 2. the query is wrapped as `WITH _loadkit_query AS MATERIALIZED (<query>) SELECT * FROM
///    _loadkit_query` (``wrapped(_:)``), sent by the extended protocol (one statement only), with
///    `:partition` as `$1`, a `text` parameter;
/// 3. `EXPLAIN (FORMAT JSON)` of the query (planned, not run) must hold no `ModifyTable`
///    node (INSERT, UPDATE, DELETE, MERGE, also inside WITH) and no `LockRows` node (`FOR
///    UPDATE`/`FOR SHARE`, which writes row locks);
/// 4. `DECLARE … SCROLL CURSOR` refuses what PostgreSQL refuses in a cursor: data-modifying WITH,
///    `SELECT … INTO`, anything that is not a query;
/// 5. the query runs once, to its end (`MOVE FORWARD ALL`), inside a savepoint made read-only
///    (`SET LOCAL transaction_read_only = on`): a function that writes a table, calls
///    `nextval` or runs DDL fails there (SQLSTATE 25006); then, when the transaction had no
///    transaction id before, it must still have none (`pg_current_xact_id_if_assigned()`,
///    `txid_current_if_assigned()` before PostgreSQL 13): a read-only query gets none, so this also
///    catches a write to a temporary table or a row lock taken inside a function. Rolling back to
///    the savepoint then ends the read-only mode (and would undo such a write); the cursor
///    stays open.
///
/// The rows of that one run are kept by PostgreSQL (the `MATERIALIZED` CTE's tuplestore, in
/// `work_mem` then in server temporary files): the cursor is rewound (`MOVE ABSOLUTE 0`) and
/// read in batches (`FETCH FORWARD n`, n sized to about 4 MiB of text), so the query is not run
/// again and memory stays bounded on both sides. libpq cannot read a cursor while a `COPY` is
/// open on the same connection, so `beforeFetch` ends the staging `COPY` before each batch
/// (``PostgresStagingWriter/suspend()``), and the staging table is created only at its first
/// row: nothing in the load's transaction has written when the query runs, which step 5 needs.
///
/// Not caught: effects outside the database's tables (`dblink` to another session,
/// session-level advisory locks, `pg_terminate_backend`); run loadkit as a role without them.
/// (A `pg_notify` is discarded with the savepoint.)
/// PostgreSQL manual: DECLARE, FETCH, MOVE, SAVEPOINT, SET TRANSACTION, EXPLAIN, §7.8.3
/// "Data-Modifying Statements in WITH", §9.26 "System Information Functions".
enum PostgresReadOnlyQuery {
    /// The cursor's name, one at a time per connection.
    static let cursor = "_loadkit_transform"
    /// The read-only savepoint's name.
    static let savepoint = "_loadkit_read_only"
    /// About how much text one `FETCH` brings, in bytes.
    static let batchBytes = 4 * 1024 * 1024

    /// The statement PostgreSQL runs for `text`: its body inside a `MATERIALIZED` CTE (a
    /// newline before the closing parenthesis ends a trailing `--` comment).
    static func wrapped(_ text: PostgresQueryText) -> String {
        "WITH _loadkit_query AS MATERIALIZED (\n\(text.body)\n) SELECT * FROM _loadkit_query"
    }

    /// The parameters of `text`'s statement: `$1` = `partitionKey` when it names `:partition`.
    static func parameters(_ text: PostgresQueryText, _ partitionKey: String?) -> [String?] {
        text.usesPartition ? [partitionKey] : []
    }

    /// `SET LOCAL search_path` to `schemas`, for the rest of the open transaction.
    static func setSearchPath(_ connection: PGConnection, _ schemas: [String]) throws {
        try connection.execute("SET LOCAL search_path TO " + schemas.map(PostgresDialect.quote).joined(separator: ", "))
    }

    /// Guard 3: refuses a plan that writes or locks rows. EXPLAIN without ANALYZE runs nothing.
    /// The query is explained as written (``PostgresQueryText/body``), so that a data-modifying
    /// WITH shows as the write it is (`DELETE writes to table flights`); wrapped, PostgreSQL would
    /// only say that such a WITH must be at the top level. The wrapped statement's plan is the
    /// same plan under a CTE scan.
    /// - Throws: ``LoadKit/LoadKitError`` `.transformNotReadOnly`; ``PostgresError`` when the
    ///   statement does not compile (a syntax error, `relation "x" does not exist`).
    static func checkPlan(_ connection: PGConnection, _ statement: String, _ parameters: [String?]) throws {
        let result: PGResult
        do {
            result = try connection.result("EXPLAIN (FORMAT JSON) " + statement, text: parameters)
        } catch let error as PostgresError {
            throw refusal(for: error) ?? error
        }
        guard result.rowCount == 1, let json = result.value(0, 0),
              let plans = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
            throw PostgresError(sqlState: "XX000", message: "EXPLAIN (FORMAT JSON) returned no plan", sql: statement)
        }
        for plan in plans {
            if let root = plan["Plan"] as? [String: Any] { try checkNode(root) }
        }
    }

    private static func checkNode(_ node: [String: Any]) throws {
        switch node["Node Type"] as? String {
        case "ModifyTable":
            let operation = (node["Operation"] as? String)?.uppercased() ?? "a data-modifying statement"
            let table = (node["Relation Name"] as? String).map { " to table \($0)" } ?? ""
            throw PostgresQueryText.refused("\(operation) writes\(table)")
        case "LockRows":
            throw PostgresQueryText.refused("FOR UPDATE / FOR SHARE locks the rows it reads (a write)")
        default:
            break
        }
        for child in node["Plans"] as? [[String: Any]] ?? [] { try checkNode(child) }
    }

    /// Guard 4: opens the cursor (`DECLARE … SCROLL CURSOR`, planned and started, no row read).
    /// - Throws: as ``refusal(for:)`` says, else ``PostgresError``.
    static func declare(_ connection: PGConnection, _ statement: String, _ parameters: [String?]) throws {
        do {
            _ = try connection.result("DECLARE \(cursor) SCROLL CURSOR FOR " + statement, text: parameters)
        } catch let error as PostgresError {
            throw refusal(for: error) ?? error
        }
    }

    /// The refusal PostgreSQL's error means, in plain words with PostgreSQL's own: a
    /// data-modifying WITH (in a cursor or a view), `SELECT … INTO`, a write while running
    /// read-only (25006), a second statement; `nil` for any other error.
    static func refusal(for error: PostgresError) -> LoadKitError? {
        let message = error.message
        let said = " (PostgreSQL: \(message))"
        if message.contains("data-modifying statement") {
            return PostgresQueryText.refused("a data-modifying statement (INSERT, UPDATE, DELETE or MERGE) in WITH writes" + said)
        }
        if message.hasPrefix("SELECT ... INTO") || message.contains("must not contain SELECT INTO") {
            return PostgresQueryText.refused("SELECT … INTO creates a table" + said)
        }
        if error.sqlState == "25006" {
            return PostgresQueryText.refused("it tried to write to the database while it ran" + said)
        }
        if message.contains("cannot insert multiple commands") {
            return PostgresQueryText.refused("a second statement follows the query" + said)
        }
        if message.contains("FOR UPDATE") || message.contains("FOR SHARE") || message.contains("FOR NO KEY UPDATE") {
            return PostgresQueryText.refused("FOR UPDATE / FOR SHARE locks the rows it reads (a write)" + said)
        }
        return nil
    }

    /// The SQL expression that is NULL while the open transaction has no transaction id.
    static func transactionID(_ connection: PGConnection) -> String {
        connection.serverVersion >= 130000 ? "pg_current_xact_id_if_assigned()" : "txid_current_if_assigned()"
    }

    /// Runs `text` in `connection`'s open transaction through every guard, then streams its
    /// rows: `columns` once (names and types, ``columnType(oid:)``), then `row` per row (values
    /// as ``decode(_:oid:)`` reads them), in the query's order.
    /// - Parameters:
    ///   - searchPath: the schemas unqualified names resolve in (set for the rest of the
    ///     transaction).
    ///   - beforeFetch: called before each `FETCH` and before the final `CLOSE` (ends a staging
    ///     COPY in progress, which `row` may have started).
    /// - Throws: ``LoadKit/LoadKitError`` `.transformNotReadOnly` for a refusal;
    ///   ``PostgresError`` for a query that does not compile or fails; what the callbacks throw.
    ///   The transaction is then unusable until rolled back, as after any error.
    static func run(on connection: PGConnection, text: PostgresQueryText, partitionKey: String?,
                    searchPath: [String], beforeFetch: () throws -> Void,
                    columns: ([(name: String, type: ColumnType?)]) throws -> Void,
                    row: ([Value]) throws -> Void) throws {
        let parameters = parameters(text, partitionKey)
        let statement = wrapped(text)
        try setSearchPath(connection, searchPath)
        let xid = transactionID(connection)
        let hadNoTransactionID = try connection.scalar("SELECT \(xid) IS NULL") == "t"
        try checkPlan(connection, text.body, parameters)
        try declare(connection, statement, parameters)
        try connection.execute("SAVEPOINT \(savepoint)")
        let count: Int
        do {
            try connection.execute("SET LOCAL transaction_read_only = on")
            count = try connection.execute("MOVE FORWARD ALL IN \(cursor)")
            if hadNoTransactionID, try connection.scalar("SELECT \(xid) IS NULL") != "t" {
                throw PostgresQueryText.refused("it wrote to the database while it ran (its transaction got a "
                    + "transaction id, which a read-only query never does: a function it calls writes, perhaps to a "
                    + "temporary table, or locks rows)")
            }
        } catch {
            _ = try? connection.execute("ROLLBACK TO SAVEPOINT \(savepoint)")
            if let failure = error as? PostgresError, let refusal = refusal(for: failure) { throw refusal }
            throw error
        }
        try connection.execute("ROLLBACK TO SAVEPOINT \(savepoint)")
        try connection.execute("RELEASE SAVEPOINT \(savepoint)")
        try connection.execute("MOVE ABSOLUTE 0 IN \(cursor)")

        var batch = 1000
        var read = 0
        var described = false
        var oids: [UInt32] = []
        var values: [Value] = []
        while true {
            try beforeFetch()
            let result = try connection.result("FETCH FORWARD \(batch) FROM \(cursor)")
            if !described {
                described = true
                oids = (0..<result.columnCount).map(result.typeOID)
                try columns((0..<result.columnCount).map { (result.name($0), columnType(oid: oids[$0])) })
            }
            var bytes = 0
            for r in 0..<result.rowCount {
                values.removeAll(keepingCapacity: true)
                for c in 0..<oids.count {
                    let field = result.value(r, c)
                    bytes += field?.utf8.count ?? 1
                    values.append(decode(field, oid: oids[c]))
                }
                try row(values)
            }
            read += result.rowCount
            if result.rowCount < batch { break }
            batch = min(100_000, max(100, batchBytes / max(1, bytes / result.rowCount)))
        }
        try beforeFetch()
        try connection.execute("CLOSE \(cursor)")
        if read != count {
            throw PostgresError(sqlState: "XX000", message: "the query ran with \(count) rows but \(read) were read back",
                                sql: statement)
        }
    }

    // MARK: - Types

    /// The loadkit type of a result column of PostgreSQL type `oid`, as SQLite's declared
    /// types give it: `bigint`/`integer`/`smallint` integer, `double precision`/`real` real,
    /// `boolean` boolean, `date` date, `timestamptz` timestamp, `text`/`varchar`/`char`/`name`
    /// text; `numeric` (what `sum(bigint)` and `avg(bigint)` return) `nil`, so its values decide
    /// (an integral value is an integer, else a real: SQLite's `sum` and `avg`); any other type
    /// text (PostgreSQL's text output). `pg_type.dat`.
    static func columnType(oid: UInt32) -> ColumnType? {
        switch oid {
        case 20, 21, 23: return .integer
        case 700, 701: return .real
        case 16: return .boolean
        case 1082: return .date
        case 1184: return .timestamp
        case 1700: return nil
        default: return .text
        }
    }

    /// The ``LoadKit/Value`` of a result field of type `oid`: integers and reals as numbers,
    /// a boolean 1 or 0, a `numeric` an integer when integral and in range, else a real; a
    /// `timestamptz` as loadkit stores timestamps (``PostgresValueCodec/decode(_:as:)``); any
    /// other as its text.
    static func decode(_ field: String?, oid: UInt32) -> Value {
        guard let field else { return .null }
        switch oid {
        case 20, 21, 23: return Int64(field).map(Value.integer) ?? .text(field)
        case 700, 701: return Double(field).map(Value.real) ?? .text(field)
        case 1700: return Int64(field).map(Value.integer) ?? Double(field).map(Value.real) ?? .text(field)
        case 16: return PostgresValueCodec.decode(field, as: .boolean) ?? .text(field)
        case 1184: return PostgresValueCodec.decode(field, as: .timestamp) ?? .text(field)
        default: return .text(field)
        }
    }
}
