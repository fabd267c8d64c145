import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit worker`: claim and run queued tasks (SPEC.md §8).
    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim and run the tasks of queued backfills (PostgreSQL warehouse).",
            usage: """
                loadkit worker [--concurrency <n>] [--drain]
                [--config <path>] [--json] [--quiet] [--warehouse <path>]
                """,
            discussion: """
                Runs tasks put on the warehouse's queue by `loadkit backfill --queue`, on any \
                number of machines with the same loadkit.yml and the same source paths. A \
                task is ready when its upstream tasks succeeded; each runs with its table's \
                retry policy, and a transient failure goes back on the queue with its backoff, \
                so another worker may take it. A worker holds a lease on each task it runs \
                (queue: { lease: 30s } in loadkit.yml) and renews it while it works; a task \
                whose worker died or froze is taken over when its lease expires, and the old \
                worker can no longer commit it. Attempts record the worker's host and pid.

                SIGTERM or Ctrl-C: stop claiming, let running loads commit or roll back, \
                exit 0. --drain: exit 0 once no task of any run is queued or running.

                Examples:
                  loadkit worker --concurrency 4
                  loadkit worker --drain

                --json prints {"done", "failed", "retried", "lost"} at exit (attempts that \
                finished their task, failed it, were queued again, or lost their lease).

                Exit codes: 0 stopped or drained, 64 a usage or config error (a SQLite \
                warehouse has no queue).
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Tasks run at once, each on its own connection (default: the config's defaults.concurrency).",
                                                valueName: "n"))
        var concurrency: Int?

        @Flag(name: .long, help: "Exit once no task is queued or running.")
        var drain = false

        func validate() throws {
            if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        }

        func run() throws {
            do {
                let project = try global.openProject()
                SignalHandling.install(cancelling: project,
                                       message: "stopping: no new tasks; running loads commit or roll back, then exit…")
                let quiet = global.quiet
                let summary = try project.work(WorkerOptions(concurrency: concurrency, drain: drain)) { event in
                    if !quiet { FileHandle.standardError.write(Data((Self.line(event) + "\n").utf8)) }
                }
                if global.json {
                    struct Report: Encodable { var done, failed, retried, lost: Int }
                    try JSONOutput.print(Report(done: summary.done, failed: summary.failed, retried: summary.retried,
                                                lost: summary.lost))
                } else {
                    print("worker: \(summary.done) done, \(summary.failed) failed, \(summary.retried) retried, "
                          + "\(summary.lost) lost to other workers")
                }
            } catch {
                throw ExitStatus.report(error)
            }
        }

        /// One stderr line per event.
        static func line(_ event: QueueWorker.Event) -> String {
            func name(_ c: TaskClaim) -> String {
                "\(c.table)\(c.partitionKey.map { " \($0)" } ?? "") (run \(c.runID), attempt \(c.attempt))"
            }
            switch event {
            case .claimed(let claim, let worker):
                return "worker: \(worker) claimed \(name(claim))"
            case .finished(let claim, let state, let rows, let message):
                switch state {
                case .done: return "worker: \(name(claim)) done, " + (message ?? Count.of(rows, "row"))
                case .queued: return "worker: \(name(claim)) failed, queued again: \(message ?? "")"
                default: return "worker: \(name(claim)) FAILED: \(message ?? "")"
                }
            case .leaseLost(let claim):
                return "worker: \(name(claim)) lost its lease to another worker; nothing of it was committed"
            case .runEnded(let runID, let warnings):
                return "worker: run \(runID) ended" + warnings.map { "\nloadkit: warning: \($0)" }.joined()
            case .unavailable(let message, let retryIn):
                return "worker: queue unavailable, trying again in \(String(format: "%.1f", retryIn.seconds)) s: \(message)"
            }
        }
    }
}
