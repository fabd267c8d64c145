import ArgumentParser

extension GlobalOptions {
    /// The global options that take a value (`--config PATH`, also `--config=PATH`).
    static let valueOptions = ["--config", "--warehouse"]
    /// The global flags.
    static let flags = ["--json", "--quiet"]

    /// `arguments` (without the program name) with the global options given before the
    /// subcommand, or between a subcommand and its own (`runs --json show`), moved to just after
    /// the last subcommand's name, where ArgumentParser reads them as the subcommand's own options: so
    /// `loadkit --config x.yml --json status --table t` parses as
    /// `loadkit status --config x.yml --json --table t` (SPEC.md §3: before or after the
    /// subcommand). Given twice, the one after the subcommand wins (it comes later).
    ///
    /// Left alone: arguments that do not start with a global option; a valued option missing
    /// its value (the parser then says so). Before anything that is not a subcommand (`help`,
    /// `--help`, `--version`, a misspelt subcommand) the global options are dropped, so help
    /// and the version print as without them and the parser names the unknown word.
    static func placed(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
        var leading: [String] = []
        var chain: [String] = []
        var command = root
        var index = 0
        // Global options before the subcommand's name, or between `runs` and `show`.
        while index < arguments.count {
            let argument = arguments[index]
            if flags.contains(argument) || valueOptions.contains(where: { argument.hasPrefix($0 + "=") }) {
                leading.append(argument)
                index += 1
            } else if valueOptions.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if let subcommand = command.configuration.subcommands.first(where: { $0._commandName == argument }) {
                chain.append(argument)
                command = subcommand
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        let rest = Array(arguments[index...])
        guard !chain.isEmpty else { return rest }
        return chain + leading + rest
    }

    /// Whether `arguments` ask for JSON output: `--json` before any `--`.
    static func wantsJSON(_ arguments: [String]) -> Bool {
        arguments.prefix { $0 != "--" }.contains("--json")
    }
}
