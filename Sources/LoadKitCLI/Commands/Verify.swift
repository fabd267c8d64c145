import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit verify`: prove that a load can be run again safely.
    ///
    /// Five steps, each followed by the same checks: `load`; `load again`; then for each
    /// failpoint (`after_staging`, `before_commit`, `after_commit`) a child process runs the load
    /// with `LOADKIT_FAILPOINT=<point>` and dies there (exit 137, like `kill -9`), and the load
    /// runs again. The checks after each step:
    /// - replace table: the partition's fingerprint equals the first step's, and the ledger
    ///   entries of the partition add up to it;
    /// - append table: the rows verify's own load appends (those whose `_loadkit_load_id` is the
    ///   load id of table + partition, or table + source for an unpartitioned table) have the
    ///   first step's fingerprint and match that load id's ledger entry; the other rows of the
    ///   partition (appended by other loads, e.g. `load --input`) are unchanged;
    /// - no staging table is left; after the last step, nothing else in the table changed.
    ///
    /// For an append table each crash step first removes verify's load (its rows and ledger
    /// entry, `SQLiteDestination.removeLoad`),
    /// so the crash hits a first append, the moment a crash could append twice; otherwise the
    /// rerun would stop at "already loaded" before `before_commit` and the crash would never
    /// fire. A crash step whose child ends before its failpoint (nothing to load, a query with no
    /// rows, a failure) says "not exercised: …", is counted as not exercised, and the summary
    /// says how many of the five steps were.
    ///
    /// Every load is recorded in `_loadkit_runs` with command `verify`: one run for verify
    /// itself, and one per step, each with `parent_run_id` = verify's run; a crashed child's run
    /// is marked `interrupted` at once. Without `--in-place` all this happens in a scratch copy
    /// deleted afterwards, and the warehouse is left byte for byte as it was (SPEC.md §3). The
    /// copy holds what the loads touch (``LoadKitProject/Project/verify(_:partition:inPlace:)``):
    /// the partition, a sentinel row of every other partition (and load id), the table's ledger
    /// entries; a transform's copy is the whole warehouse (SQLite's backup API), as its query
    /// may read any table. On PostgreSQL the copy is a scratch schema of the same database
    /// (`Project.verifyInScratchSchema`), dropped afterwards; a crash step's child gets it as
    /// `--scratch-schema NAME` (hidden).
    ///
    /// A crash step's child is `loadkit verify … --step-of RUN_ID --crash-at POINT` (hidden
    /// options): it runs one load as a step of run `RUN_ID` and prints `{"status", "message"}`.
    ///
    /// ```
    /// loadkit verify --table flights --partition 2013-01-05
    /// ```
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove a load is idempotent: load, load again, crash, load again.",
            usage: """
                loadkit verify --table <table> [--partition <key>] [--in-place]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Steps: load, then fingerprint; load again, fingerprint; then for each \
                failpoint (after_staging, before_commit, after_commit) a child process runs \
                the load and is killed there (like kill -9), and the load runs again, \
                fingerprint. Every step also checks that the ledger agrees with the data and \
                that no staging table is left; the last also that nothing else in the table \
                changed since before the first step. All fingerprints equal and every check \
                passing: exit 0.

                Append tables: rows and fingerprints are those of verify's own load (the \
                load id of table + partition), checked against that load id's ledger entry; \
                rows that other loads appended to the partition (e.g. `load --input FILE`) \
                must stay unchanged. Before each crash step verify removes its own load's \
                rows and ledger entry, so the crash hits a first append; after a crash at \
                after_commit, loading again stops at "already loaded": nothing is appended \
                twice.

                A crash step whose load ends before its failpoint (e.g. the source has no \
                rows) reads "not exercised: the load ended (...) before reaching <point>", \
                and the last line says "idempotent — N of 5 steps exercised".

                Runs on a scratch copy, leaving the warehouse byte for byte as it was, \
                unless --in-place. The copy holds the partition, one row of every other \
                partition (and load id) to show any change outside it, and the table's \
                ledger entries; for a transform, whose query may read any table, the whole \
                warehouse. On PostgreSQL the copy is a scratch schema (_loadkit_verify_ and \
                16 hex digits) in the same database, dropped afterwards, also on failure: the \
                partition, those sentinel rows and ledger entries, and for a transform its \
                depends_on tables whole (any other table its query reads is read, never \
                written, in the warehouse's schema). Every load verify runs is recorded with \
                command `verify` and verify's own run as its parent run; a crash step's run is \
                `interrupted`.

                Examples:
                  loadkit verify --table flights --partition 2013-01-05
                  loadkit verify --table airlines --json

                --json prints {"table", "partition", "inPlace", "ok", "loadID" (append \
                tables), "steps": [{"step", "rows", "fingerprint", "ok", "exercised", \
                "detail"}]}.

                Exit codes: 0 idempotent, 1 a step diverged or a check failed, 64 a usage or \
                config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: ArgumentHelp("The partition key (partitioned tables).", valueName: "key"))
        var partition: String?

        @Flag(name: .long, help: "Verify in the warehouse, not on a scratch copy.")
        var inPlace = false

        /// Child mode: run one load as a step of this verify run (set by verify for its crash steps).
        @Option(name: .long, help: .hidden)
        var stepOf: String?

        /// Child mode: the failpoint armed in the child's environment, for the run record.
        @Option(name: .long, help: .hidden)
        var crashAt: String?

        /// Child mode: the PostgreSQL scratch schema the parent verifies in.
        @Option(name: .long, help: .hidden)
        var scratchSchema: String?

        func validate() throws {
            if let crashAt, FailPoint(rawValue: crashAt) == nil {
                throw ValidationError("--crash-at: unknown failpoint '\(crashAt)'")
            }
            if scratchSchema != nil && stepOf == nil {
                throw ValidationError("--scratch-schema goes with --step-of")
            }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                if let stepOf {
                    let outcome = try project.verifyStep(table, partition: partition, parent: stepOf,
                                                         scratchSchema: scratchSchema)
                    try JSONOutput.print(outcome)
                    return
                }
                project.crashStepExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
                SignalHandling.install(cancelling: project,
                                       message: "interrupted: stopping verify after its running step (its scratch copy is dropped)…")
                let report = try project.verify(table, partition: partition, inPlace: inPlace)
                if global.json {
                    try JSONOutput.print(report)
                } else {
                    print(Self.text(report))
                }
                if !report.ok { throw ExitCode(ExitStatus.failure) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }

        static func text(_ report: VerifyReport) -> String {
            let width = max(4, report.steps.map(\.step.count).max() ?? 0)
            var lines: [String] = []
            if let loadID = report.loadID {
                lines.append("rows and fingerprints: the rows of verify's load \(loadID); other loads' rows are checked unchanged")
            }
            lines.append("step".padding(toLength: width, withPad: " ", startingAt: 0) + "   rows  fingerprint                       result")
            for s in report.steps {
                lines.append(s.step.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(1, 7 - String(s.rows).count)) + "\(s.rows)  \(s.fingerprint)  "
                    + (s.ok ? "ok" : "FAILED") + ": \(s.detail)")
            }
            let subject = "\(report.table)" + (report.partition.map { " \($0)" } ?? "")
            let place = report.inPlace ? "in the warehouse" : "on a scratch copy; the warehouse is unchanged"
            let skipped = report.steps.filter { !$0.exercised }
                .map { $0.step.replacingOccurrences(of: ", load again", with: "") }
            let count = skipped.isEmpty ? "\(report.steps.count) steps"
                : "\(report.steps.count - skipped.count) of \(report.steps.count) steps exercised "
                    + "(not exercised: \(skipped.joined(separator: ", ")))"
            lines.append(report.ok
                ? "verify \(subject): idempotent — \(count), one fingerprint (\(place))"
                : "verify \(subject): FAILED at step '\(report.steps.first { !$0.ok }!.step)' — see above (\(place))")
            return lines.joined(separator: "\n")
        }
    }
}
