import Foundation
import LoadKit
import LoadKitPostgres

extension LoadKitConfig {
    /// ``checkTransforms()`` on a PostgreSQL warehouse: the same rules and messages, checked by
    /// PostgreSQL in a transaction that is always rolled back (``LoadKitPostgres/PostgresQueryCheck``).
    ///
    /// As on SQLite, the tables it reads need not exist yet: every table with declared columns
    /// gets a TEMP stand-in with its stored columns and their PostgreSQL types (partition key
    /// and `_loadkit_load_id` included), then each transform's query is checked (the guards a
    /// load applies; nothing runs) and, unless its columns are declared, its own stand-in is
    /// created from the query's result columns and types, so a transform over a transform is
    /// checked too, in dependency order. A table the file does not declare is read from the
    /// warehouse's `schema:` as at load time. The server must be reachable.
    ///
    /// ```
    /// loadkit.yml, line 30, column 5: tables.daily.sql: no such table: flightz; declared tables: airlines, flights, daily; …
    /// ```
    /// - Throws: ``ConfigError`` at `tables.<T>.sql` (exit 64): a refusal, a missing table, SQL
    ///   PostgreSQL cannot compile (its message); ``LoadKit/LoadKitError`` `resource.connection`
    ///   when the server cannot be reached.
    func checkTransformsOnPostgres(_ transforms: [TableConfig]) throws {
        let check = try PostgresQueryCheck(uri: warehouse, searchPath: [schema] + readingAlso)
        defer { check.close() }
        var known = Set<String>()
        func create(_ name: String, _ columns: [(name: String, type: String)]) throws {
            guard known.insert(name).inserted else { return }
            var seen = Set<String>()
            try check.createTable(name, columns: columns.filter { seen.insert($0.name).inserted })
        }
        func postgresType(_ column: TargetTable.StoredColumn) -> String {
            ColumnType.allCases.first { $0.sqlType == column.sqlType }.map(PostgresDialect.sqlType) ?? "text"
        }
        for table in tables where table.schema != nil {
            try create(table.name, try table.targetTable().storedColumns.map { ($0.name, postgresType($0)) })
        }
        let declared = Set(tables.map(\.name))
        var pending = transforms
        while !pending.isEmpty {
            var waiting: [(table: TableConfig, on: String)] = []
            for table in pending {
                do {
                    let description = try check.describe(table.sql!)
                    try checkDependencies(table, reads: description.reads)
                    if table.schema == nil {
                        let returned = Dictionary(description.columns.map { ($0.name, $0.postgresType) },
                                                  uniquingKeysWith: { first, _ in first })
                        let names = description.columns.map(\.name)
                        let stored = (try? TableSchema(names.map { Column($0, .text) }))
                            .flatMap { try? table.targetTable(schema: $0).storedColumns.map(\.name) } ?? names
                        try create(table.name, stored.map { ($0, returned[$0] ?? "text") })
                    }
                } catch let error as LoadKitError where error.code == .transformNotReadOnly {
                    throw sqlError(table, error.message)
                } catch let error as PostgresError {
                    guard let missing = PostgresQueryCheck.missingRelation(error) else {
                        throw sqlError(table, "PostgreSQL cannot compile the query: \(error.message)")
                    }
                    if declared.contains(missing) && !known.contains(missing) && missing != table.name {
                        waiting.append((table, missing))
                        continue
                    }
                    throw sqlError(table, "no such table: \(missing); declared tables: "
                        + tables.map(\.name).joined(separator: ", ") + "; the warehouse \(Warehouse.redacted(warehouse)) "
                        + "has no table \(missing) in schema \(([schema] + readingAlso).joined(separator: ", "))")
                }
            }
            if waiting.count == pending.count, let (table, name) = waiting.first {
                throw sqlError(table, "no such table: \(name) yet: \(name) is a transform of this file whose "
                    + "query cannot be checked before this one (do their queries read each other?)")
            }
            pending = waiting.map(\.table)
        }
    }
}
