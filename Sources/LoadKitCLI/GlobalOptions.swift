import LoadKit
import LoadKitProject
import ArgumentParser

/// Options every subcommand takes (SPEC.md §3); accepted after the subcommand's name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The config file.", valueName: "path"))
    var config: String = "loadkit.yml"

    @Flag(name: .long, help: "Print one JSON document instead of text.")
    var json = false

    @Flag(name: .long, help: "Print no progress lines on stderr.")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Use this SQLite file instead of the config's warehouse.", valueName: "path"))
    var warehouse: String?

    /// The config file, with `--warehouse` applied. Also checks `LOADKIT_FAILPOINT` and
    /// `LOADKIT_NOW`, so a malformed value is a usage error before anything runs, never a
    /// failed load.
    /// - Throws: ``ConfigError``, or ``LoadKitError`` `.schema` for the environment.
    func loadConfig() throws -> LoadKitConfig {
        _ = try FailPoint.configured()
        _ = try WallClock.now()
        var config = try LoadKitConfig.load(path: config)
        if let warehouse { config.warehouse = warehouse }
        return config
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
