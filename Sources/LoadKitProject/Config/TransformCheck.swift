import Foundation
import LoadKit
import LoadKitSQLite

extension LoadKitConfig {
    /// Checks every SQL transform of the config before any command runs anything (SPEC G7, G4):
    /// its SQL must be exactly one read-only query, and every table it reads must exist, either
    /// declared in this file or present in the warehouse.
    ///
    /// On a PostgreSQL warehouse the same check runs on PostgreSQL itself
    /// (``checkTransformsOnPostgres(_:)``). On SQLite it runs on a scratch in-memory database,
    /// never on the warehouse: every
    /// table with declared columns is created there with its stored columns (in target order,
    /// partition key and `_loadkit_load_id` included), then each transform's query is prepared
    /// with ``SQLiteConnection/prepareReadOnlyQuery(_:)`` (nothing is run) and, unless its
    /// columns are declared, its table is created from the query's result columns, so a
    /// transform over a transform is checked too (in dependency order, whatever `depends_on`
    /// says). A table the query reads that the file does not declare is looked up in the
    /// warehouse, opened read-only with ``SQLiteDestination/init(readingOnly:)`` and only when
    /// the file exists (it is never created); when found, its columns are copied to the scratch
    /// database.
    ///
    /// ```
    /// loadkit.yml, line 30, column 5: tables.daily.sql: no such table: flightz; declared tables: airlines, flights, daily
    /// ```
    ///
    /// - Throws: ``ConfigError`` (exit 64) at the table's `sql` key, `tables.<T>.sql`: a query
    ///   that is not read-only (the reason from the SQLite or PostgreSQL check), a missing table
    ///   (with the declared tables), or SQL that SQLite (PostgreSQL) cannot compile (its message).
    ///   ``LoadKitError`` `.schema` when a transform's declared columns cannot be a table.
    package func checkTransforms() throws {
        let transforms = tables.filter { $0.sql != nil }
        if transforms.isEmpty { return }
        if Warehouse.isPostgres(warehouse) { return try checkTransformsOnPostgres(transforms) }
        let scratch = try SQLiteConnection(path: ":memory:")
        var known = Set<String>()
        func create(_ name: String, columns: [String]) throws {
            guard known.insert(name.lowercased()).inserted else { return }
            var seen = Set<String>()
            let unique = columns.filter { seen.insert($0.lowercased()).inserted }
            try scratch.execute("CREATE TABLE \(Identifier.quoted(name)) ("
                + unique.map(Identifier.quoted).joined(separator: ", ") + ")")
        }
        for table in tables where table.schema != nil {
            try create(table.name, columns: try table.targetTable().storedColumns.map(\.name))
        }
        let warehouseTables = WarehouseTables(path: warehouse)
        let declared = Set(tables.map { $0.name.lowercased() })

        var pending = transforms
        while !pending.isEmpty {
            var waiting: [(table: TableConfig, on: String)] = []
            for table in pending {
                switch try prepare(table, in: scratch, known: known, declared: declared,
                                   warehouse: warehouseTables, create: create) {
                case .ready(let columns):
                    if table.schema == nil {
                        let inferred = (try? TableSchema(columns.map { Column($0, .text) }))
                            .flatMap { try? table.targetTable(schema: $0).storedColumns.map(\.name) }
                        try create(table.name, columns: inferred ?? columns)
                    }
                case .waiting(let name):
                    waiting.append((table, name))
                }
            }
            if waiting.count == pending.count, let (table, name) = waiting.first {
                throw sqlError(table, "no such table: \(name) yet: \(name) is a transform of this file whose "
                    + "query cannot be checked before this one (do their queries read each other?)")
            }
            pending = waiting.map(\.table)
        }
    }

    private enum Prepared {
        /// The query is fine; its result column names.
        case ready([String])
        /// It reads the transform `name`, whose scratch table does not exist yet.
        case waiting(String)
    }

    /// Prepares one transform's query on the scratch database, copying tables it reads from
    /// the warehouse as needed.
    private func prepare(_ table: TableConfig, in scratch: SQLiteConnection, known: Set<String>, declared: Set<String>,
                         warehouse: WarehouseTables,
                         create: (String, [String]) throws -> Void) throws -> Prepared {
        let sql = table.sql!
        var copied = Set<String>()
        while true {
            do {
                var read = Set<String>()
                let statement = try scratch.prepareReadOnlyQuery(sql, tablesRead: { read = $0 })
                try checkDependencies(table, reads: read)
                return .ready((0..<statement.columnCount).map(statement.columnName))
            } catch let error as LoadKitError where error.code == .transformNotReadOnly {
                throw sqlError(table, error.message)
            } catch let error as SQLiteError {
                guard let missing = Self.missingTable(error) else {
                    throw sqlError(table, "SQLite cannot compile the query: \(error.message)")
                }
                let key = missing.lowercased()
                if declared.contains(key) && !known.contains(key) && key != table.name.lowercased() {
                    return .waiting(missing)
                }
                if !copied.contains(key), let columns = warehouse.columns(of: missing), !columns.isEmpty {
                    copied.insert(key)
                    try create(missing, columns)
                    continue
                }
                throw sqlError(table, "no such table: \(missing); declared tables: "
                    + tables.map(\.name).joined(separator: ", ") + "; " + warehouse.describe(missing))
            }
        }
    }

    /// Refuses a transform whose query reads a table of this file that its `depends_on` does
    /// not name: its ledger entry would not record that table's fingerprints, so a change there
    /// would never make the transform `stale` (G6), and a backfill would not load it first.
    func checkDependencies(_ table: TableConfig, reads: Set<String>) throws {
        let named = Set(table.dependsOn.map { $0.lowercased() })
        let missing = reads.compactMap { read in
            tables.first { $0.name.lowercased() == read.lowercased() && $0.name != table.name }
        }.filter { !named.contains($0.name.lowercased()) }.map(\.name).sorted()
        guard let first = missing.first else { return }
        throw sqlError(table, "the query reads table\(missing.count == 1 ? "" : "s") "
            + missing.joined(separator: ", ") + ", which depends_on does not name; add depends_on: ["
            + (table.dependsOn + missing).joined(separator: ", ") + "] so that \(table.name) is loaded after \(first) "
            + "and becomes stale when \(first) changes")
    }

    func sqlError(_ table: TableConfig, _ message: String) -> ConfigError {
        ConfigError(file: file, line: table.sqlLine ?? table.line, column: table.sqlLine == nil ? nil : table.sqlColumn,
                    key: "tables.\(table.name).sql", message: message)
    }

    /// `X` from SQLite's `no such table: X` (a `main.` or `temp.` qualifier removed).
    private static func missingTable(_ error: SQLiteError) -> String? {
        let prefix = "no such table: "
        guard error.message.hasPrefix(prefix) else { return nil }
        var name = String(error.message.dropFirst(prefix.count))
        for schema in ["main.", "temp."] where name.lowercased().hasPrefix(schema) { name.removeFirst(schema.count) }
        return name
    }
}

/// The warehouse's tables, read on demand through a read-only connection that is opened only
/// when the file exists (so checking a config never creates a warehouse).
private final class WarehouseTables {
    package let path: String
    private var opened = false
    private var destination: SQLiteDestination?
    private var openError: String?

    package init(path: String) { self.path = path }

    /// The columns of table or view `name` in the warehouse, in order, or `nil` when the
    /// warehouse or the table does not exist.
    package func columns(of name: String) -> [String]? {
        if !opened {
            opened = true
            if FileManager.default.fileExists(atPath: path) {
                do { destination = try SQLiteDestination(readingOnly: path) } catch { openError = "\(error)" }
            }
        }
        guard let destination, let columns = try? destination.existingColumns(of: name) else { return nil }
        return columns.map(\.name)
    }

    /// Why `name` was not found there, for the message.
    package func describe(_ name: String) -> String {
        if let openError { return "the warehouse \(path) could not be read (\(openError))" }
        if destination == nil { return "the warehouse \(path) does not exist yet" }
        return "the warehouse \(path) has no table \(name)"
    }
}
