import Foundation

/// Paths of the package, its built binaries and the bundled example.
enum Paths {
    /// The package's root folder (absolute), found from this file.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// `Examples/flights/loadkit.yml`.
    static let exampleConfig = packageRoot + "/Examples/flights/loadkit.yml"

    /// The folder of the built products: the test bundle's own (`.build/<triple>/debug`).
    static var products: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `.build/<triple>/debug/loadkitPackageTests.xctest`.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.path
    }

    /// A built executable of the package (`loadkit`, `ProjectPipeline`), or `nil` when it has
    /// not been built (`swift build` builds every one).
    static func product(_ name: String) -> String? {
        let path = products + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
