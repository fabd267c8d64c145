import LoadKit

/// How loadkit's names and types are written in PostgreSQL's SQL (SPEC.md §7).
public enum PostgresDialect {
    /// The PostgreSQL type of a declared column type (SPEC.md §7): integer `bigint`, real
    /// `double precision`, text `text`, boolean `boolean`, date `date`, timestamp `timestamptz`.
    /// PostgreSQL manual chapter 8 "Data Types".
    public static func sqlType(_ type: ColumnType) -> String {
        switch type {
        case .integer: return "bigint"
        case .real: return "double precision"
        case .text: return "text"
        case .boolean: return "boolean"
        case .date: return "date"
        case .timestamp: return "timestamptz"
        }
    }

    /// `name` as a quoted identifier: in double quotes, each `"` doubled, so any name (mixed
    /// case, spaces, quotes, keywords) means itself. PostgreSQL manual §4.1.1 "Identifiers and
    /// Key Words".
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `schema.name`, both quoted.
    public static func qualified(_ schema: String, _ name: String) -> String {
        quote(schema) + "." + quote(name)
    }
}

extension PostgresDialect {
    /// `text` as a string literal: in single quotes, each `'` doubled (with
    /// `standard_conforming_strings` on, the default since PostgreSQL 9.1, backslashes are
    /// ordinary). For DDL, which takes no parameters (`FOR VALUES IN (…)`, CHECK constraints).
    /// PostgreSQL manual §4.1.2.1 "String Constants".
    public static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
