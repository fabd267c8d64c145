import ArgumentParser

/// `loadkit`: idempotent loads into partitioned tables.
@main
struct LoadKitCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "loadkit",
        abstract: "Load data into partitioned tables so that every load can be run again safely.",
        discussion: """
            Tables, sources and partitions are declared in loadkit.yml (see README.md).
            Exit codes: 0 success, 1 a task failed or input was bad, 64 usage or config error.
            """,
        version: version,
        subcommands: [Load.self, Backfill.self, Run.self, Status.self, Runs.self, Rerun.self, Verify.self, Fingerprint.self, GC.self, Check.self]
    )
}
