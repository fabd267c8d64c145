import Foundation
import LoadKit
import LoadKitSQLite

/// A SQLite warehouse in a fresh temporary folder, removed when released.
///
/// ```swift
/// let warehouse = try TemporaryWarehouse()
/// let result = try warehouse.loader().load(request)
/// ```
public final class TemporaryWarehouse: @unchecked Sendable {
    /// The folder holding the warehouse and anything else a test writes.
    public let directory: TemporaryDirectory
    /// The SQLite file.
    public let path: String

    /// Creates the folder; the warehouse file is created by the first connection.
    /// - Throws: the file system's error.
    public init() throws {
        directory = try TemporaryDirectory(prefix: "loadkit-warehouse")
        path = directory.path("warehouse.db")
    }

    /// A new connection to the warehouse as a destination.
    /// - Throws: `SQLiteError`.
    public func destination() throws -> SQLiteDestination {
        try SQLiteDestination(path: path)
    }

    /// A loader over a new connection.
    /// - Throws: `SQLiteError`.
    public func loader() throws -> Loader {
        Loader(destination: try destination())
    }
}
