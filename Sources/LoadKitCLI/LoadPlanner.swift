import Foundation
import LoadKit

/// Turns a configured table and the command's flags into a ``LoadRequest``.
struct LoadPlanner {
    let config: LoadKitConfig

    /// The request for `load --table T [--partition KEY | --input FILE]`.
    /// - Throws: ``LoadKitError`` `.partitionKey` for a malformed key, `ValidationError` for
    ///   flags that do not fit the table, ``ConfigError`` for a transform whose SQL is not one
    ///   read-only query over existing tables (``LoadKitConfig/checkTransforms()``).
    func request(for table: LoadKitConfig.TableConfig, partition: String?, input: String?,
                 runID: String = RunID.make()) throws -> LoadRequest {
        let scope: LoadRequest.Scope
        if let partition {
            guard let scheme = table.scheme else {
                throw ValidationErrorText("table '\(table.name)' is not partitioned; run without --partition")
            }
            scope = .partition(try scheme.partition(forKey: partition))
        } else if input != nil {
            scope = .dynamic
        } else {
            guard table.partition == nil else {
                throw ValidationErrorText("table '\(table.name)' is partitioned: give --partition KEY or --input FILE")
            }
            scope = .wholeTable
        }
        if let sql = table.sql {
            guard input == nil else {
                throw ValidationErrorText("table '\(table.name)' is a SQL transform; it takes no --input")
            }
            try config.checkTransforms()
            let schema = try table.schema ?? inferredSchema(table, sql: sql, partition: partition)
            return LoadRequest(table: try table.targetTable(schema: schema), input: .query(sql: sql, sourceFingerprint: nil), scope: scope,
                               runID: runID, lockTimeout: config.defaults.lockTimeout)
        }
        guard let source = table.source else {
            throw ValidationErrorText("table '\(table.name)' has no source")
        }
        let path: String
        let identity: String
        let format: SourceFormat
        if let input {
            path = input
            identity = input
            format = SourceFormat.inferred(fromPath: input)
        } else {
            if case .partition(let p) = scope { path = p.fill(source.path) } else { path = source.path }
            identity = Self.relative(path, to: URL(fileURLWithPath: config.file).deletingLastPathComponent().path)
            format = source.format
        }
        return LoadRequest(table: try table.targetTable(), input: .file(path: path, format: format, options: source.options,
                                                               identity: identity, displayName: Self.display(path)),
                           scope: scope, runID: runID, lockTimeout: config.defaults.lockTimeout)
    }

    private func inferredSchema(_ table: LoadKitConfig.TableConfig, sql: String, partition: String?) throws -> TableSchema {
        let loader = Loader(destination: try LoadKitSQLiteDestinationFactory.open(config))
        guard let schema = try loader.inferSchema(sql: sql, partitionKey: partition) else {
            throw LoadKitError(.emptySource, "the query of '\(table.name)' returns no rows, so its column types are unknown; "
                + "declare 'columns' for it")
        }
        return schema
    }

    /// `path` relative to `directory` when inside it, else as it is.
    static func relative(_ path: String, to directory: String) -> String {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// `path` relative to the working directory when inside it, for messages.
    static func display(_ path: String) -> String {
        relative(path, to: FileManager.default.currentDirectoryPath)
    }
}

/// A usage error raised outside argument parsing (exit 64).
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
