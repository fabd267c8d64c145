import Foundation
import LoadKitTesting
import Testing

/// Paths of the package, the built `loadkit` binary and the bundled example.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let example = packageRoot + "/Examples/flights"
    static let exampleConfig = example + "/loadkit.yml"

    /// The `loadkit` binary built next to the test bundle (`swift test` builds it).
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `.build/<triple>/debug/loadkitPackageTests.xctest`.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("loadkit").path
    }
}

/// Runs the built `loadkit` with `arguments` in `directory`.
func loadkit(_ arguments: [String], in directory: String? = nil,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess.Result {
    try #require(FileManager.default.isExecutableFile(atPath: Paths.binary),
                 "loadkit binary not found at \(Paths.binary); run `swift build` first",
                 sourceLocation: sourceLocation)
    return try ChildProcess.run(Paths.binary, arguments, currentDirectory: directory)
}
