import LoadKit
import LoadKitSQLite

extension LoadKitConfig {
    /// The table named `name`.
    /// - Throws: ``ConfigError`` listing the declared tables (exit 64).
    package func requireTable(_ name: String) throws -> TableConfig {
        guard let table = table(name) else {
            throw ConfigError(file: file, key: "tables",
                message: "unknown table '\(name)'; declared tables: " + tables.map(\.name).joined(separator: ", "))
        }
        return table
    }
}
