import Foundation
import LoadKit
import LoadKitProject

/// Progress on stderr while a run works: a live line on a terminal, plain lines otherwise,
/// nothing with `--quiet`.
///
/// Worker threads report progress after they release the runner's lock, so snapshots can
/// arrive out of order (the 7th item's after the 8th's): a snapshot older than one already
/// shown (fewer items done) is dropped, so the counter never goes backwards.
final class ProgressLine: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal: Bool
    private var lastPrinted = -1.0
    /// The `done` count of the newest snapshot shown or dropped as too frequent.
    private var latestDone = -1
    private let label: String
    private let write: @Sendable (String) -> Void

    /// - Parameters:
    ///   - isTerminal: a live line (carriage return, erase line) instead of plain lines;
    ///     by default, whether stderr is a terminal.
    ///   - write: where the text goes; stderr by default.
    init(label: String, isTerminal: Bool = isatty(STDERR_FILENO) != 0,
         write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.isTerminal = isTerminal
        self.write = write
    }

    func runProgressed(_ p: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        guard p.done > latestDone else { return }
        latestDone = p.done
        let rate = p.elapsed > 0 ? Double(p.rows) / p.elapsed : 0
        let eta = p.done > 0 && p.done < p.total ? p.elapsed / Double(p.done) * Double(p.total - p.done) : 0
        let text = "\(label): \(p.done)/\(p.total) done, \(Count.of(p.rows, "row")) (\(Int(rate)) rows/s)"
            + (p.failed > 0 ? ", \(p.failed) failed" : "") + (eta > 0 ? String(format: ", ETA %.0fs", eta) : "")
        if isTerminal {
            write("\r\u{1B}[2K\(text)" + (p.done == p.total ? "\n" : ""))
        } else if p.done == p.total || p.elapsed - lastPrinted >= 5 {
            // Plain lines at most every 5 s, and the last one.
            lastPrinted = p.elapsed
            write("\(text)\n")
        }
    }
}

/// The end-of-run text and JSON.
enum RunOutput {
    /// `31 loaded, 0 skipped, 1 failed, 1 upstream failed (27004 rows) in 2.1 s` and the first
    /// error of each failed item.
    static func text(_ summary: RunSummary, title: String) -> String {
        let total = summary.items.count
        if total > 0 && summary.count(.skipped) == total {
            return "\(title): nothing to do: "
                + (total == 1 ? "the 1 task is" : "all \(total) tasks") + " already loaded from unchanged sources; nothing changed\n"
                + "run \(summary.runID): \(summary.status.rawValue)"
        }
        var lines = ["\(title): " + [
            "\(summary.count(.success)) loaded",
            "\(summary.count(.skipped)) skipped",
            "\(summary.count(.failed)) failed",
        ].joined(separator: ", ")
            + (summary.count(.upstreamFailed) > 0 ? ", \(summary.count(.upstreamFailed)) upstream failed" : "")
            + (summary.notStarted > 0 ? ", \(summary.notStarted) not started (interrupted)" : "")
            + (summary.count(.running) > 0 ? ", \(summary.count(.running)) still queued or running" : "")
            + " (\(Count.of(summary.rows, "row"))) in " + String(format: "%.1f s", summary.seconds)]
        for item in summary.items where item.status == .failed {
            lines.append("  FAILED \(item.task)\(item.partitionKey.map { " \($0)" } ?? "")"
                + " after \(item.attempts) attempt\(item.attempts == 1 ? "" : "s"): \(item.message ?? "")")
        }
        lines.append("run \(summary.runID): \(summary.status.rawValue)")
        return lines.joined(separator: "\n")
    }

    /// The `--json` document when a command had nothing to run: the run summary's shape with
    /// no run (`runId` null) and no items.
    static func printNothingToDo() throws {
        let empty = RunSummary(runID: "", status: .success, items: [], notStarted: 0, seconds: 0)
        try JSONOutput.print(RunSummaryJSON(empty))
    }

    /// Prints the summary, runs the notifier, and ends with the exit code: 0 success, 1 failed
    /// or interrupted.
    static func finish(_ summary: RunSummary, title: String, json: Bool) throws {
        for warning in summary.warnings {
            FileHandle.standardError.write(Data("loadkit: warning: \(warning)\n".utf8))
        }
        if json {
            try JSONOutput.print(RunSummaryJSON(summary))
        } else {
            print(text(summary, title: title))
        }
        if summary.status != .success { throw ExitCode(ExitStatus.failure) }
    }
}

import ArgumentParser

/// Stops a runner on SIGINT or SIGTERM: no new items start, the running loads are cancelled
/// (their statement interrupted, their transaction rolled back), the run is recorded
/// `interrupted` and the command exits 1.
enum SignalHandling {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// - Parameter message: what stopping means for the command (a worker lets its running
    ///   loads finish, SPEC.md §8; a local run rolls them back).
    static func install(cancelling project: Project,
                        message: String = "interrupted: stopping the running loads (rolled back)…") {
        install {
            FileHandle.standardError.write(Data("\nloadkit: \(message)\n".utf8))
            project.cancel()
        }
    }

    /// Runs `onSignal` (on a dispatch queue) for each SIGINT or SIGTERM instead of their default
    /// action.
    static func install(_ onSignal: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: onSignal)
            source.resume()
            sources.append(source)
        }
    }
}
