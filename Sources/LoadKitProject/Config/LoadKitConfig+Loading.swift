import Foundation
import LoadKit
import Yams

extension LoadKitConfig {
    package static let topKeys = ["warehouse", "timezone", "defaults", "tables", "notify", "temp_dir", "schema", "queue"]
    package static let tableKeys = ["source", "columns", "partition", "write", "outside_rows", "allow_empty",
                            "retry", "depends_on", "sql", "schedule", "timeout", "batch"]
    package static let sourceKeys = ["path", "format", "null_values", "ignore_extra_columns", "delimiter", "quote"]
    package static let partitionKeys = ["column", "granularity", "from", "timezone"]
    package static let retryKeys = ["attempts", "initial_delay", "max_delay"]

    /// Reads and checks a config file.
    ///
    /// - Parameters:
    ///   - path: the file; relative paths inside it are resolved against its folder.
    ///   - warehouse: the warehouse to use instead of the file's `warehouse:` (`--warehouse`),
    ///     as given (relative to the working directory); with it, the key may be left out.
    /// - Throws: ``ConfigError`` naming file, line, column and key, with the allowed values.
    package static func load(path: String, warehouse: String? = nil) throws -> LoadKitConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, message: FileManager.default.fileExists(atPath: path)
                ? "cannot read the config file"
                : "config file not found; pass --config PATH or run where loadkit.yml is")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "the config file is not UTF-8 text")
        }
        return try parse(yaml: text, file: path, warehouse: warehouse)
    }

    /// Parses config text; `file` names it in errors and anchors relative paths.
    /// - Parameter warehouse: replaces the text's `warehouse:`, which may then be absent.
    package static func parse(yaml: String, file: String, warehouse override: String? = nil) throws -> LoadKitConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: file, message: "the config file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let top = try YAMLNode(node: root, path: "", file: file).mapping(allowed: topKeys)
        let entries = Dictionary(uniqueKeysWithValues: top.map { ($0.key, $0.value) })

        let configured = try entries["warehouse"].map { node -> String in
            let text = try node.nonEmptyString()
            if Warehouse.isURI(text) {
                // Checked here, so a refusal names the key; never resolved as a file name.
                do { _ = try Warehouse(text, lockTimeout: .seconds(60)) } catch { throw node.error("\(error)") }
                return text
            }
            return resolve(text, against: directory)
        }
        guard let warehouse = override ?? configured else {
            throw ConfigError(file: file, message: "no warehouse: set warehouse: in loadkit.yml or pass --warehouse")
        }
        let timeZone = try entries["timezone"].map(zone) ?? TimeZone(identifier: "UTC")!

        var defaults = Defaults()
        if let node = entries["defaults"] {
            for (key, value) in try node.mapping(allowed: ["concurrency", "retry", "lock_timeout"]) {
                switch key {
                case "concurrency": defaults.concurrency = try value.int(in: 1...256)
                case "retry": defaults.retry = try retry(value, base: defaults.retry)
                default: defaults.lockTimeout = try value.duration()
                }
            }
        }

        guard let tablesNode = entries["tables"] else {
            throw ConfigError(file: file, line: 1, message: "missing key 'tables' (at least one table)")
        }
        var tables: [TableConfig] = []
        for (name, node) in try tablesNode.mapping(allowed: nil) {
            do {
                try Identifier.validate(name, what: "table name")
            } catch let error as LoadKitError {
                throw node.error(error.message)
            }
            if name.hasPrefix("_loadkit_") {
                throw node.error("table names starting with '_loadkit_' are reserved for loadkit's own tables")
            }
            tables.append(try table(name, node, defaults: defaults, timeZone: timeZone, directory: directory))
        }
        if tables.isEmpty { throw tablesNode.error("declare at least one table") }

        let names = Set(tables.map(\.name))
        for (table, node) in zip(tables, try tablesNode.mapping(allowed: nil).map(\.value)) {
            for dependency in table.dependsOn where !names.contains(dependency) {
                throw node.child("depends_on", node.node).error(
                    "unknown table '\(dependency)'; declared tables: \(tables.map(\.name).joined(separator: ", "))")
            }
        }

        try checkCycles(tables, nodes: try tablesNode.mapping(allowed: nil).map(\.value))
        try checkTransformPartitions(tables, nodes: try tablesNode.mapping(allowed: nil).map(\.value))

        var notify = Notify()
        if let node = entries["notify"] {
            for (key, value) in try node.mapping(allowed: ["on_failure", "on_success", "on_recovery", "on_late"]) {
                let command = try value.nonEmptyString()
                switch key {
                case "on_failure": notify.onFailure = command
                case "on_success": notify.onSuccess = command
                case "on_recovery": notify.onRecovery = command
                default: notify.onLate = command
                }
            }
        }
        var config = LoadKitConfig(file: file, warehouse: warehouse, timeZone: timeZone, defaults: defaults,
                                   tables: tables, notify: notify)
        if let node = entries["schema"] {
            let schema = try node.nonEmptyString()
            do { try Identifier.validate(schema, what: "schema name") } catch { throw node.error("\(error)") }
            guard Warehouse.isPostgres(warehouse) else {
                throw node.error("applies to a PostgreSQL warehouse (postgres://…); a SQLite warehouse has none")
            }
            config.schema = schema
        }
        if let node = entries["queue"] {
            guard Warehouse.isPostgres(warehouse) else {
                throw node.error("applies to a PostgreSQL warehouse (postgres://…), whose workers drain a queue; "
                    + "a SQLite warehouse has none")
            }
            for (_, value) in try node.mapping(allowed: ["lease"]) {
                let lease = try value.duration()
                guard lease >= .seconds(1), lease <= .seconds(86_400) else {
                    throw value.error(lease < .seconds(1)
                        ? "a lease shorter than 1s would expire between two renewals; write at least 1s (default 30s)"
                        : "a lease longer than 24h would leave a dead worker's task stuck that long; write at most 24h (default 30s)")
                }
                config.queueLease = lease
            }
        }
        if let node = entries["temp_dir"] {
            let path = resolve(try node.nonEmptyString(), against: directory)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw node.error("'\(path)' is not a directory; temp_dir names an existing folder for SQLite's temp files")
            }
            config.tempDir = path
        }
        return config
    }

    /// `depends_on` must not loop back: the first cycle found is named, at the `depends_on`
    /// of the table where it closes.
    private static func checkCycles(_ tables: [TableConfig], nodes: [YAMLNode]) throws {
        let byName = Dictionary(uniqueKeysWithValues: zip(tables.map(\.name), zip(tables, nodes)))
        var done = Set<String>()
        var path: [String] = []
        func visit(_ name: String) throws {
            if done.contains(name) { return }
            if let start = path.firstIndex(of: name) {
                let cycle = path[start...] + [name]
                let (_, node) = byName[path.last!]!
                throw node.child("depends_on", node.node).error("dependency cycle: " + cycle.joined(separator: " → "))
            }
            path.append(name)
            for dependency in byName[name]!.0.dependsOn { try visit(dependency) }
            path.removeLast()
            done.insert(name)
        }
        for table in tables { try visit(table.name) }
    }

    /// A partitioned transform's partitioned upstream tables must have its partitions: the
    /// query reads the upstream rows of its own key (`WHERE day = :partition`), so a day
    /// transform over an hour table would find no rows, or the wrong ones, at run time. The
    /// same granularity and zone, or an unpartitioned upstream (read whole), or an
    /// unpartitioned transform. ``RunPlanning`` refuses the same for every upstream of a
    /// backfill when it plans one.
    private static func checkTransformPartitions(_ tables: [TableConfig], nodes: [YAMLNode]) throws {
        let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        for (table, node) in zip(tables, nodes) where table.sql != nil {
            guard let mine = table.partition else { continue }
            for dependency in table.dependsOn {
                guard let theirs = byName[dependency]?.partition else { continue }
                let sameZone = mine.timeZone.sameLocalTime(as: theirs.timeZone)
                guard mine.granularity != theirs.granularity || !sameZone else { continue }
                let what = sameZone
                    ? "\(table.name) is partitioned by \(mine.granularity.rawValue) and \(dependency) by \(theirs.granularity.rawValue)"
                    : "\(table.name) is partitioned by \(mine.granularity.rawValue) in \(mine.timeZone.displayIdentifier) and "
                        + "\(dependency) by \(theirs.granularity.rawValue) in \(theirs.timeZone.displayIdentifier)"
                throw node.child("depends_on", node.node).error(
                    what + "; a transform's upstream must have the same partitions or none")
            }
        }
    }

    private static func table(_ name: String, _ node: YAMLNode, defaults: Defaults, timeZone: TimeZone,
                              directory: String) throws -> TableConfig {
        var table = TableConfig(name: name, retry: defaults.retry, line: node.node.mark?.line)
        var sourceNode: YAMLNode?
        var columnsNode: YAMLNode?
        var partitionNode: YAMLNode?
        var scheduleNode: YAMLNode?
        var batchNode: YAMLNode?
        for (key, value) in try node.mapping(allowed: tableKeys) {
            switch key {
            case "source": sourceNode = value
            case "columns": columnsNode = value
            case "partition": partitionNode = value
            case "write": table.write = try value.oneOf(WriteMode.self)
            case "outside_rows": table.outsideRows = try value.oneOf(OutsideRows.self)
            case "allow_empty": table.allowEmpty = try value.bool()
            case "retry": table.retry = try retry(value, base: defaults.retry)
            case "depends_on": table.dependsOn = try value.strings()
            case "schedule": scheduleNode = value
            case "timeout":
                let timeout = try value.duration()
                guard timeout > .zero else { throw value.error("a timeout must be longer than 0s, such as 30s or 10m") }
                table.timeout = timeout
            case "batch":
                table.batch = try value.int(in: 1...100_000)
                batchNode = value
            default:
                table.sql = try value.nonEmptyString()
                if case .mapping(let mapping) = node.node, let key = mapping.first(where: { $0.key.string == "sql" })?.key {
                    (table.sqlLine, table.sqlColumn) = (key.mark?.line, key.mark?.column)
                }
            }
        }
        if let columnsNode { table.schema = try schema(columnsNode) }
        if let partitionNode {
            table.partition = try partition(partitionNode, schema: table.schema, isSQL: table.sql != nil,
                                            timeZone: timeZone)
        }
        if let scheduleNode { table.schedule = try schedule(scheduleNode, scheme: table.scheme) }
        switch (sourceNode, table.sql) {
        case (nil, nil):
            throw node.error("a table needs either 'source' (a file to load) or 'sql' (a transform)")
        case (.some, .some):
            throw node.error("a table has either 'source' or 'sql', not both")
        case (let sourceNode?, nil):
            guard table.schema != nil else {
                throw node.error("missing key 'columns': declare the columns to load, in target order")
            }
            table.source = try source(sourceNode, table: table, timeZone: timeZone, directory: directory)
        case (nil, _?):
            break
        }
        if let batchNode, table.batch > 1, table.source == nil || table.partition == nil || table.write != .replace {
            throw batchNode.error("batch: groups partitions of a partitioned replace table loaded from files "
                + "(a source, a partition and write: replace); remove it or set it to 1")
        }
        return table
    }

    private static func schema(_ node: YAMLNode) throws -> TableSchema {
        var columns: [Column] = []
        for (name, value) in try node.mapping(allowed: nil) {
            // Here, so that the error names the column's own key (`tables.T.columns.NAME`).
            do {
                try Identifier.validate(name, what: "column name")
            } catch let error as LoadKitError {
                throw value.error(error.message)
            }
            if case .mapping = value.node {
                var type: ColumnType?
                var nullTokens: [String]?
                for (key, item) in try value.mapping(allowed: ["type", "null_values"]) {
                    if key == "type" { type = try item.oneOf(ColumnType.self) } else { nullTokens = try item.strings() }
                }
                guard let type else { throw value.error("missing key 'type'; allowed types: \(ColumnType.allNames)") }
                columns.append(Column(name, type, nullTokens: nullTokens))
            } else {
                columns.append(Column(name, try value.oneOf(ColumnType.self)))
            }
        }
        do {
            return try TableSchema(columns)
        } catch let error as LoadKitError {
            throw node.error(error.message)
        }
    }

    private static func partition(_ node: YAMLNode, schema: TableSchema?, isSQL: Bool,
                                  timeZone: TimeZone) throws -> PartitionConfig {
        var column: String?
        var granularity: Granularity?
        var from: YAMLNode?
        var zone = timeZone
        for (key, value) in try node.mapping(allowed: partitionKeys) {
            switch key {
            case "column":
                let name = try value.nonEmptyString()
                do {
                    try Identifier.validate(name, what: "partition column name")
                } catch let error as LoadKitError {
                    throw value.error(error.message)
                }
                column = name
            case "granularity": granularity = try value.oneOf(Granularity.self)
            case "from": from = value
            default: zone = try Self.zone(value)
            }
        }
        guard let column else { throw node.error("missing key 'column' (the partition key column)") }
        guard let granularity else {
            throw node.error("missing key 'granularity'; allowed values: \(Granularity.allNames)")
        }
        var fromColumn: String?
        if let from {
            let name = try from.nonEmptyString()
            guard let declared = schema?.columns.first(where: { $0.name == name }) else {
                throw from.error("'\(name)' is not a declared column; 'from' names the source column "
                    + "(date or timestamp) the partition key is derived from")
            }
            guard declared.type == .date || declared.type == .timestamp else {
                throw from.error("column '\(name)' is \(declared.type.rawValue); 'from' needs a date or timestamp column")
            }
            fromColumn = name
        } else if !isSQL {
            throw node.error("missing key 'from' (the date or timestamp column the partition key is derived from)")
        }
        if !isSQL, schema?.index(of: column) != nil {
            throw node.error("partition column '\(column)' is also a declared column; "
                + "loadkit adds the partition key column itself, so give it another name")
        }
        return PartitionConfig(column: column, granularity: granularity, from: fromColumn, timeZone: zone)
    }

    private static func source(_ node: YAMLNode, table: TableConfig, timeZone: TimeZone,
                               directory: String) throws -> SourceConfig {
        var path: YAMLNode?
        var format: SourceFormat?
        var options = SourceOptions(timeZone: table.partition?.timeZone ?? timeZone)
        var delimiter: Character = ","
        var quote: Character = "\""
        for (key, value) in try node.mapping(allowed: sourceKeys) {
            switch key {
            case "path": path = value
            case "format": format = try value.oneOf(SourceFormat.self)
            case "null_values": options.nullTokens = try value.strings()
            case "ignore_extra_columns": options.ignoreExtraColumns = try value.bool()
            case "delimiter", "quote":
                let text = try value.string() == "\\t" ? "\t" : try value.string()
                guard text.count == 1, let character = text.first else {
                    throw value.error("expected a single character, found '\(text)'")
                }
                if key == "delimiter" { delimiter = character } else { quote = character }
            default: break
            }
        }
        guard let path else { throw node.error("missing key 'path' (the input file or path template)") }
        let template = try path.nonEmptyString()
        try checkPlaceholders(template, node: path, granularity: table.partition?.granularity)
        do {
            options.csv = try CSVDialect(delimiter: delimiter, quote: quote)
        } catch let error as LoadKitError {
            throw node.error(error.message)
        }
        return SourceConfig(path: resolve(template, against: directory),
                            format: format ?? SourceFormat.inferred(fromPath: template), options: options)
    }

    /// Every `{name}` in a path template must be one the granularity can fill.
    private static func checkPlaceholders(_ template: String, node: YAMLNode, granularity: Granularity?) throws {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw node.error("unclosed '{' in the path template")
            }
            let name = String(rest[rest.index(after: open)..<close])
            let known = Granularity.hour.placeholders
            guard known.contains(name) else {
                throw node.error("unknown placeholder {\(name)}; allowed: "
                    + ["date", "year", "month", "day", "hour", "key"].map { "{\($0)}" }.joined(separator: " "))
            }
            guard let granularity else {
                throw node.error("placeholder {\(name)} needs a partitioned table; this table has no 'partition'")
            }
            guard granularity.placeholders.contains(name) else {
                throw node.error("placeholder {\(name)} cannot be filled by \(granularity.rawValue) partitions; "
                    + "allowed: " + ["date", "year", "month", "day", "hour", "key"]
                        .filter(granularity.placeholders.contains).map { "{\($0)}" }.joined(separator: " "))
            }
            rest = rest[rest.index(after: close)...]
        }
    }

    private static func retry(_ node: YAMLNode, base: RetrySettings) throws -> RetrySettings {
        var retry = base
        for (key, value) in try node.mapping(allowed: retryKeys) {
            switch key {
            case "attempts": retry.attempts = try value.int(in: 1...100)
            case "initial_delay": retry.initialDelay = try value.duration()
            default: retry.maxDelay = try value.duration()
            }
        }
        if retry.maxDelay < retry.initialDelay {
            throw node.error("max_delay must not be shorter than initial_delay")
        }
        return retry
    }

    private static func zone(_ node: YAMLNode) throws -> TimeZone {
        let name = try node.nonEmptyString()
        guard let zone = TimeZone(identifier: name) else {
            throw node.error("unknown time zone '\(name)'; use an IANA name such as UTC or America/New_York")
        }
        return zone
    }

    private static func resolve(_ path: String, against directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).standardized.path
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column,
                               message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: file, line: context.mark.line, column: context.mark.column,
                message: duplicates.map { "key '\($0)'" }.joined(separator: ", ")
                    + (duplicates.count == 1 ? " appears" : " appear") + " twice in one mapping")
        default:
            return ConfigError(file: file, message: "not valid YAML: \(error)")
        }
    }
}
