import Foundation

/// A fresh directory under the system's temporary folder, removed when the value is released.
///
/// Tests run in parallel in one process, so each test makes its own: no shared paths, no
/// changing of the current directory.
///
/// ```swift
/// let dir = try TemporaryDirectory()
/// let db = dir.path("warehouse.db")
/// ```
public final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let root: String

    /// Creates the directory.
    /// - Parameter prefix: the start of its name, for finding leftovers.
    /// - Throws: the file system's error when it cannot be created.
    public init(prefix: String = "loadkit-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = "\(base)/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.root = path
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The absolute path of `name` inside the directory.
    public func path(_ name: String) -> String { "\(root)/\(name)" }

    /// Writes `contents` to `name` inside the directory and returns its path.
    /// - Throws: the file system's error.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Data(contents.utf8))
    }

    /// Writes `bytes` to `name` inside the directory and returns its path.
    /// - Throws: the file system's error.
    @discardableResult
    public func write(_ name: String, _ bytes: Data) throws -> String {
        let target = path(name)
        try bytes.write(to: URL(fileURLWithPath: target))
        return target
    }
}
