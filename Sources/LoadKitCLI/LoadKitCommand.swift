import ArgumentParser

/// `loadkit`: idempotent loads into partitioned tables.
@main
struct LoadKitCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "loadkit",
        abstract: "Load data into partitioned tables, so that any load can run again.",
        discussion: """
            Tables, sources and partitions are declared in loadkit.yml (see README.md). \
            --config, --warehouse, --json and --quiet go before or after the subcommand. \
            With --json, an error prints one document on stdout: {"error": {"code", \
            "message", "file", "line", "column", "key"}}, the fields known.

            Exit codes: 0 success, 1 a task failed or input was bad, 64 usage or config \
            error, 75 another run --due is active; each command's help says what they mean \
            for it.
            """,
        version: version,
        subcommands: [Load.self, Backfill.self, Run.self, Status.self, Runs.self, Rerun.self, Verify.self, Fingerprint.self, GC.self, Check.self, Schedule.self, Worker.self]
    )

    /// Parses the arguments with the global options moved after the subcommand
    /// (``GlobalOptions/placed(_:root:)``), runs the command, and ends with its exit code.
    /// With `--json`, an error that ends the command (a flag error too) also prints the error
    /// document on stdout (``ExitStatus/Document``).
    static func main() {
        let given = Array(CommandLine.arguments.dropFirst())
        let arguments = GlobalOptions.placed(given, root: self)
        ExitStatus.printsJSON = GlobalOptions.wantsJSON(given)
        do {
            if arguments.first == "help", arguments.count > 1,
               !configuration.subcommands.contains(where: { $0._commandName == arguments[1] }) {
                // ArgumentParser would print the top-level help and exit 0 for `help nonexist`.
                throw ValidationError("unknown command '\(arguments[1])'; commands: "
                    + configuration.subcommands.map { $0._commandName }.joined(separator: ", "))
            }
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            end(with: error)
        }
    }

    /// Exits for `error`: help and `--version` print as ArgumentParser prints them; an
    /// ``ExitCode`` (the command already reported, or printed its summary) exits with it; a
    /// flag error prints ArgumentParser's message and usage (and the error document with
    /// `--json`), exit 64; any other error goes through ``ExitStatus/report(_:)``.
    private static func end(with error: any Error) -> Never {
        if error is ExitCode || exitCode(for: error) == .success { exit(withError: error) }
        if error is ValidationError || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            if ExitStatus.printsJSON { ExitStatus.printDocument(ExitStatus.parseErrorDocument(message: message(for: error))) }
            exit(withError: error)
        }
        exit(withError: ExitStatus.report(error))
    }
}
