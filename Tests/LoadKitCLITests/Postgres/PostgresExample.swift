import Foundation
import LoadKitPostgres
import LoadKitTesting
import Testing

/// The flights example (``ExampleWorkspace``) loading into a PostgreSQL warehouse: its config's
/// `warehouse:` is the test server (`LOADKIT_TEST_POSTGRES_URL`) and `schema:` a fresh schema
/// dropped afterwards (``TemporaryPostgresSchema``); the SQL transform `daily_delays` is left
/// out (``PostgresTransformTests/transforms`` adds it back as `extraTables`).
struct PostgresExample {
    let workspace: ExampleWorkspace
    let schema: TemporaryPostgresSchema
    /// The server, for reading what loadkit wrote.
    var db: PGConnection { schema.connection }

    /// - Parameters:
    ///   - extraTables: YAML of more tables, indented by two spaces, appended to `tables:`.
    ///   - lease: the queue's lease (`queue: { lease: }`), e.g. `2s`; the default when `nil`.
    ///   - warehouse: the config's `warehouse:` when loadkit reaches the test server another way
    ///     (through PgBouncer: ``PgBouncerTests``); the test server's URL when `nil`.
    init(extraTables: String = "", lease: String? = nil, warehouse: String? = nil) throws {
        workspace = try ExampleWorkspace()
        schema = try TemporaryPostgresSchema()
        var yaml = try String(contentsOfFile: workspace.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "warehouse: warehouse.db",
                                         with: "warehouse: \(warehouse ?? schema.url)\nschema: \(schema.name)"
                                            + (lease.map { "\nqueue: { lease: \($0) }" } ?? ""))
        try yaml.write(toFile: workspace.config, atomically: true, encoding: .utf8)
        try workspace.replaceTransforms(with: extraTables)
    }

    /// `loadkit ARGS --config …` in the workspace.
    func run(_ arguments: [String], environment: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
        try workspace.run(arguments, environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 },
                          sourceLocation: sourceLocation)
    }

    /// Starts `loadkit ARGS --config …` in the workspace without waiting (a worker); its pid is
    /// loadkit's own, for kill -9 and SIGSTOP.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess.Running {
        try ChildProcess.start(Paths.binary, arguments + ["--config", workspace.config],
                               environment: ["LOADKIT_FAILPOINT": ""].merging(environment) { $1 },
                               currentDirectory: workspace.root)
    }

    /// Polls `condition` every 20 ms until it holds; fails the test after `seconds`.
    func waitUntil(_ what: String, seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation,
                   _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            guard Date() < deadline else {
                Issue.record("timed out after \(seconds) s waiting until \(what)", sourceLocation: sourceLocation)
                throw TimedOut()
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    struct TimedOut: Error {}

    /// `loadkit ARGS --json --config …`, expecting exit `status`, parsed.
    func json(_ arguments: [String], status: Int32 = 0, environment: [String: String] = [:],
              sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try run(arguments + ["--json"], environment: environment, sourceLocation: sourceLocation)
        #expect(result.status == status, "stdout: \(result.stdout)\nstderr: \(result.stderr)",
                sourceLocation: sourceLocation)
        return try parseObject(result.stdout, sourceLocation: sourceLocation)
    }

    /// `loadkit fingerprint --table T [--partition P] --json`: (rows, fingerprint).
    func fingerprint(_ table: String, _ partition: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> (rows: Int, hex: String) {
        let object = try json(["fingerprint", "--table", table] + (partition.map { ["--partition", $0] } ?? []),
                              sourceLocation: sourceLocation)
        return (object["rows"] as? Int ?? -1, object["fingerprint"] as? String ?? "")
    }

    /// The tables of the schema whose names start with `prefix`.
    func tables(prefix: String) throws -> [String] {
        try db.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 AND starts_with(tablename, $2) ORDER BY 1",
                     [schema.name, prefix]).compactMap { $0[0] }
    }

    /// One value of `sql` run on the server.
    func scalar(_ sql: String) throws -> String? { try db.scalar(sql) }
}

extension ExampleWorkspace {
    /// Replaces the example config's tables from `daily_delays:` on (its transforms) with `tables`
    /// (YAML indented by two spaces, appended to `tables:`), so one set of extra tables can be run
    /// on SQLite and on PostgreSQL.
    func replaceTransforms(with tables: String) throws {
        var yaml = try String(contentsOfFile: config, encoding: .utf8)
        yaml = yaml.components(separatedBy: "  daily_delays:").first! + tables
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
    }
}
