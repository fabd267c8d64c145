import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit rerun`: run again exactly what failed.
    struct Rerun: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run again exactly the tasks that failed.",
            usage: """
                loadkit rerun (<run-id> | --failed)
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                With RUN_ID: every item of that run's plan that did not succeed (failed, \
                upstream_failed, interrupted because its process was killed, or never \
                started), for the same partitions, and a `load --input FILE` with that same \
                FILE.

                With --failed: every table and partition (or input file) whose most recent \
                attempt failed or was interrupted, whatever run it was in, and the \
                never-started items of interrupted runs. Failures superseded by a later \
                success, and runs dismissed with `loadkit runs dismiss`, do not count.

                The new run is recorded with the old run as its parent (with --failed, when \
                every failure came from one run).

                Examples:
                  loadkit rerun 20261129T174833Z-39f07352
                  loadkit rerun --failed

                Exit codes: 0 success, or nothing failed; 1 a task failed again; 64 a usage \
                or config error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The run to re-run.", valueName: "run-id"))
        var runID: String?

        @Flag(name: .long, help: "Re-run every partition whose latest attempt failed.")
        var failed = false

        func validate() throws {
            if (runID == nil) == !failed { throw ValidationError("give a RUN_ID or --failed (one of them)") }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                if !global.quiet { project.observer = ProgressLine(label: "rerun") }
                SignalHandling.install(cancelling: project)
                let summary = try runID.map { try project.rerun(runID: $0) } ?? project.rerunFailed()
                if summary.runID.isEmpty {
                    if global.json { try RunOutput.printNothingToDo() } else { print("nothing failed; nothing to re-run") }
                    return
                }
                let count = summary.items.count + summary.notStarted
                try RunOutput.finish(summary, title: "rerun of \(count) failed task\(count == 1 ? "" : "s")", json: global.json)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw ExitStatus.report(error)
            }
        }
    }
}
