import LoadKit
import LoadKitProject
import ArgumentParser

/// Options every subcommand takes (SPEC.md §3); accepted before the subcommand's name too
/// (``placed(_:root:)`` moves them after it).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The config file.", valueName: "path"))
    var config: String = "loadkit.yml"

    @Flag(name: .long, help: "Print one JSON document instead of text.")
    var json = false

    @Flag(name: .long, help: "Print no progress lines on stderr.")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Use this warehouse (a SQLite file or a postgres:// URI), not the config's.", valueName: "path-or-uri"))
    var warehouse: String?

    /// The config file, with `--warehouse` applied (the file's `warehouse:` may then be
    /// absent). Also checks `LOADKIT_FAILPOINT` and
    /// `LOADKIT_NOW`, so a malformed value is a usage error before anything runs, never a
    /// failed load.
    /// - Throws: ``ConfigError``, or ``LoadKitError`` `.schema` for the environment.
    func loadConfig() throws -> LoadKitConfig {
        _ = try FailPoint.configured()
        _ = try WallClock.now()
        return try LoadKitConfig.load(path: config, warehouse: warehouse)
    }

    /// The project of the config file, with `--warehouse` applied; its runs record this
    /// process's command line.
    /// - Throws: as ``loadConfig()``, and ``Project`` errors (a transform that is not read-only).
    func openProject() throws -> Project {
        let project = try Project(config: try loadConfig())
        project.recordedArguments = Array(CommandLine.arguments.dropFirst())
        return project
    }
}
