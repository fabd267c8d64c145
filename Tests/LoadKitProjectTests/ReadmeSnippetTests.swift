import Foundation
import LoadKitTesting
import Testing

/// README's Swift blocks, compiled as a user would: every ```swift block becomes a target of a
/// scratch package that depends on this one by path, and `swift build` must succeed.
///
/// A block that imports `Testing` becomes a test target (and its tests run, against a copy of
/// `Examples/flights` at the scratch package's root, standing for the user's own loadkit.yml);
/// any other block is the `main.swift` of an executable target. The scratch package lives in
/// `.build-snippets/package` (git ignores it) and keeps its `.build`, so a second run builds
/// only what changed. It resolves its dependencies as this package does: by the URLs in
/// Package.swift, which git on this machine maps to its local copies.
///
/// Slow (1–4 minutes on a fresh clone: loadkit and its dependencies build again), so it runs
/// only with `LOADKIT_SNIPPET_TESTS=1`; `.ci/run` sets it.
@Suite struct ReadmeSnippetTests {
    static let enabled = ProcessInfo.processInfo.environment["LOADKIT_SNIPPET_TESTS"] == "1"
    static let readme = Paths.packageRoot + "/README.md"

    /// One fenced block of README.md.
    struct Snippet {
        /// The 1-based line of the opening fence.
        var line: Int
        /// The code between the fences.
        var code: String
        /// `LoadKit`, `LoadKitSQLite`, `LoadKitProject`, `LoadKitTesting`: the products it imports.
        var products: [String] {
            let imported = Set(code.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard words.count == 2, words[0] == "import" || words[0] == "@_exported" else { return nil }
                return String(words[1])
            })
            return ["LoadKit", "LoadKitSQLite", "LoadKitProject", "LoadKitTesting"].filter(imported.contains)
        }
        /// Whether it is a test file (it imports Testing) rather than a program.
        var isTest: Bool { code.split(separator: "\n").contains("import Testing") }
        /// The target's name, after the line it starts on.
        var target: String { (isTest ? "ReadmeTests_L" : "Snippet_L") + String(line) }
    }

    /// The ```swift blocks of `text`, in order.
    static func snippets(_ text: String) -> [Snippet] {
        var result: [Snippet] = []
        var current: (line: Int, lines: [Substring])?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if var block = current {
                if line.trimmingCharacters(in: .whitespaces) == "```" {
                    result.append(Snippet(line: block.line, code: block.lines.joined(separator: "\n") + "\n"))
                    current = nil
                } else {
                    block.lines.append(line)
                    current = block
                }
            } else if line == "```swift" {
                current = (index + 1, [])
            }
        }
        return result
    }

    @Test("README's library section opens a loadkit.yml through Project and runs a backfill")
    func readmeUsesProject() throws {
        let snippets = Self.snippets(try String(contentsOfFile: Self.readme, encoding: .utf8))
        #expect(snippets.count >= 3)
        #expect(snippets.contains { $0.code.contains("import LoadKitProject") && $0.code.contains("Project(configPath:")
            && $0.code.contains(".backfill(") && !$0.isTest })
        #expect(snippets.contains { $0.isTest && $0.code.contains("expectIdempotent(") })
    }

    @Test("Every swift block of README.md builds in a package that depends on loadkit by path",
          .enabled(if: enabled, "set LOADKIT_SNIPPET_TESTS=1 to build README's Swift blocks in a scratch package (1–4 min)"),
          .timeLimit(.minutes(30)))
    func snippetsBuild() throws {
        let snippets = Self.snippets(try String(contentsOfFile: Self.readme, encoding: .utf8))
        let package = try Self.writePackage(snippets)
        let started = Date()
        // The loadkit binary too: README's test of crash recovery runs it from .build/debug.
        let build = try Self.swift(["build", "--build-tests"], in: package)
        let product = build.status == 0 ? try Self.swift(["build", "--product", "loadkit"], in: package) : build
        let seconds = Int(Date().timeIntervalSince(started))
        #expect(build.status == 0 && product.status == 0,
                "swift build of README's snippets failed after \(seconds) s:\n\(Self.readmeLines(build.stdout + product.stdout + build.stderr, snippets))")
        guard build.status == 0, product.status == 0 else { return }
        if snippets.contains(where: \.isTest) {
            let test = try Self.swift(["test", "--skip-build"], in: package)
            #expect(test.status == 0, "README's tests failed:\n\(Self.readmeLines(test.stdout + test.stderr, snippets))")
        }
        print("README snippets: \(snippets.count) blocks built in \(seconds) s (\(package))")
    }

    /// Writes the scratch package of `snippets` and returns its folder.
    static func writePackage(_ snippets: [Snippet]) throws -> String {
        let files = FileManager.default
        let root = Paths.packageRoot + "/.build-snippets/package"
        for folder in ["Sources", "Tests"] { try? files.removeItem(atPath: "\(root)/\(folder)") }
        // The dependency's identity is its folder's name, whatever the clone is called.
        let identity = URL(fileURLWithPath: Paths.packageRoot).lastPathComponent.lowercased()
        var targets: [String] = []
        for snippet in snippets {
            let folder = snippet.isTest ? "Tests" : "Sources"
            let dependencies = snippet.products.map { ".product(name: \"\($0)\", package: \"\(identity)\")" }
            let kind = snippet.isTest ? "testTarget" : "executableTarget"
            targets.append("        .\(kind)(name: \"\(snippet.target)\", dependencies: [\(dependencies.joined(separator: ", "))], "
                + "path: \"\(folder)/\(snippet.target)\"),")
            let file = snippet.isTest ? "\(snippet.target).swift" : "main.swift"
            try files.createDirectory(atPath: "\(root)/\(folder)/\(snippet.target)", withIntermediateDirectories: true)
            try snippet.code.write(toFile: "\(root)/\(folder)/\(snippet.target)/\(file)", atomically: true, encoding: .utf8)
        }
        let manifest = """
            // swift-tools-version: 6.0
            // Written by Tests/LoadKitProjectTests/ReadmeSnippetTests.swift: README.md's Swift blocks.
            import PackageDescription

            let package = Package(
                name: "readme-snippets",
                platforms: [.macOS(.v15)],
                dependencies: [.package(path: "\(Paths.packageRoot)")],
                targets: [
            \(targets.joined(separator: "\n"))
                ],
                swiftLanguageModes: [.v6]
            )

            """
        if (try? String(contentsOfFile: "\(root)/Package.swift", encoding: .utf8)) != manifest {
            try manifest.write(toFile: "\(root)/Package.swift", atomically: true, encoding: .utf8)
        }
        // README's tests read the user's loadkit.yml at the package root: here, a fresh copy of
        // the example's, with its data (2.5 MB).
        let example = Paths.packageRoot + "/Examples/flights"
        for name in ["loadkit.yml", "data"] {
            try? files.removeItem(atPath: "\(root)/\(name)")
            try files.copyItem(atPath: "\(example)/\(name)", toPath: "\(root)/\(name)")
        }
        return root
    }

    /// Runs `swift arguments` in `folder`.
    static func swift(_ arguments: [String], in folder: String) throws -> ChildProcess.Result {
        try ChildProcess.run("/usr/bin/env", ["swift"] + arguments, currentDirectory: folder)
    }

    /// The lines of `output` that mention a snippet, with the snippet's file and line turned into
    /// README.md's line (`README.md:412: error: …`), then the output's last lines.
    static func readmeLines(_ output: String, _ snippets: [Snippet]) -> String {
        let starts = Dictionary(uniqueKeysWithValues: snippets.map { ($0.target, $0.line) })
        var mapped: [String] = []
        let pattern = try! NSRegularExpression(pattern: #"[^\s:]*/((?:Snippet|ReadmeTests)_L\d+)/[^/:]+\.swift:(\d+)"#)
        for line in output.split(separator: "\n") {
            let text = String(line)
            let range = NSRange(text.startIndex..., in: text)
            guard let match = pattern.firstMatch(in: text, range: range),
                  let target = Range(match.range(at: 1), in: text), let number = Range(match.range(at: 2), in: text),
                  let start = starts[String(text[target])], let offset = Int(text[number]),
                  let whole = Range(match.range, in: text) else { continue }
            let readmeLine = text.replacingCharacters(in: whole, with: "README.md:\(start + offset)")
            if !mapped.contains(readmeLine) { mapped.append(readmeLine) }
        }
        let tail = output.split(separator: "\n").suffix(30).joined(separator: "\n")
        return (mapped + ["--- last lines of the output:", tail]).joined(separator: "\n")
    }
}
