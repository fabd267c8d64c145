import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

/// `loadkit backfill … --queue [--wait]`: enqueue the plan, then with `--wait` follow the run
/// until it ends.
struct QueuedBackfill {
    var project: Project
    var table: String
    var from: String
    var to: String?
    var force: Bool
    var wait: Bool
    var json: Bool
    var quiet: Bool

    func run() throws {
        let partitions = try project.backfillPartitions(table, from: from, to: to)
        if partitions.isEmpty {
            if json { try RunOutput.printNothingToDo() }
            else { print("backfill \(table): nothing to do; no partition from \(from) is complete yet") }
            return
        }
        let title = "backfill \(table) \(partitions.first!.key)..\(partitions.last!.key)"
        let result = try project.enqueueBackfill(table, from: from, to: to, force: force)
        if !wait {
            if json {
                struct Report: Encodable {
                    var runId: String; var status = "queued"; var added: Int; var alreadyQueued: Int
                    var forced: Int; var runningWithoutForce: Int
                }
                try JSONOutput.print(Report(runId: result.runID, added: result.added, alreadyQueued: result.alreadyQueued,
                                            forced: result.forced, runningWithoutForce: result.runningWithoutForce))
            } else {
                print(Self.text(result, title: title))
            }
            return
        }
        if !quiet { FileHandle.standardError.write(Data((Self.text(result, title: title) + "\n").utf8)) }
        let summary = try follow(result.runID)
        try RunOutput.finish(summary, title: title, json: json)
    }

    static func text(_ result: EnqueueResult, title: String) -> String {
        var lines: [String] = []
        if result.added == 0 {
            lines.append("\(title): nothing added: all \(Count.of(result.alreadyQueued, "task")) are already queued or "
                + "running in run \(result.runID)")
        } else {
            lines.append("\(title): queued \(Count.of(result.added, "task"))"
                + (result.alreadyQueued > 0 ? " (\(result.alreadyQueued) already queued or running in another run, left out)" : ""))
        }
        if result.forced > 0 {
            lines.append("  \(Count.of(result.forced, "task")) already queued without --force now reload (--force)")
        }
        if result.runningWithoutForce > 0 {
            lines.append("  warning: \(Count.of(result.runningWithoutForce, "task")) running now without --force skip what is "
                + "loaded from unchanged sources; queue --force again after they end to reload them")
        }
        lines.append("run \(result.runID): queued; `loadkit worker` runs it (on any machine with this loadkit.yml)")
        return lines.joined(separator: "\n")
    }

    /// Polls the run every second until none of its tasks is queued or running; Ctrl-C stops
    /// waiting (the run stays queued) and exits 1.
    private func follow(_ runID: String) throws -> RunSummary {
        let stop = StopFlag()
        SignalHandling.install { stop.set() }
        guard let follower = try QueuedRunFollower(project, runID: runID) else {
            throw LoadKitError(.graph, "run \(runID) is not in the run log")
        }
        let started = ContinuousClock.now
        let isTerminal = isatty(STDERR_FILENO) != 0
        var lastLine = ContinuousClock.now - .seconds(10)
        while true {
            guard let run = try follower.poll() else {
                throw LoadKitError(.graph, "run \(runID) is no longer on the queue")
            }
            let elapsed = (ContinuousClock.now - started).seconds
            let finished = run.count(.done) + run.count(.failed) + run.count(.upstreamFailed)
            if !quiet && (isTerminal || ContinuousClock.now - lastLine >= .seconds(5) || run.status != .running) {
                lastLine = ContinuousClock.now
                let rate = elapsed > 0 ? Double(run.rows) / elapsed : 0
                let text = "backfill \(table) (queue): \(finished)/\(run.tasks.count) done, \(Count.of(run.rows, "row")) "
                    + "(\(Int(rate)) rows/s)" + (run.count(.failed) > 0 ? ", \(run.count(.failed)) failed" : "")
                    + (run.workers.isEmpty ? ", no worker running a task" : ", workers: " + run.workers.joined(separator: ", "))
                FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[2K" + text : text + "\n").utf8))
            }
            if run.status != .running {
                if isTerminal && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
                return run.summary(seconds: elapsed)
            }
            if stop.isSet {
                // Not interrupted: the run goes on with the workers; this command only stops
                // following it (exit 1: it did not see the run end).
                let note = "\nloadkit: stopped waiting; run \(runID) goes on for the workers "
                    + "(\(finished) of \(run.tasks.count) tasks ended); follow it with `loadkit runs show \(runID)` "
                    + "or `loadkit status --table \(table)`\n"
                FileHandle.standardError.write(Data(note.utf8))
                var summary = run.summary(seconds: elapsed)
                summary.status = .running
                summary.notStarted = 0
                return summary
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }
}

/// Set by a signal handler, read by the waiting loop.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var isSet: Bool { lock.withLock { flag } }
}
