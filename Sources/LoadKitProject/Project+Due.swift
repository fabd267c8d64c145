import Foundation
import LoadKit

extension Project {
    /// The lock key that lets one `run --due` at a time work on a warehouse.
    static let dueLockKey = "run --due"

    /// Loads every partition due by the tables' `schedule:` (SPEC.md §9), as
    /// `loadkit run --due`: see ``DuePlanning/plan(_:table:now:)`` for what is due. Due
    /// partitions whose source is not there yet are not attempted; the summary lists them in
    /// `waiting` (`waiting` or `late`).
    ///
    /// Only one call at a time works on a warehouse: the warehouse's own lock (a lock on the
    /// destination, so it holds across machines where the destination's locks do), taken
    /// without waiting. Nothing due records no run (an empty `runID`).
    /// - Parameter table: one scheduled table (with its upstream tasks); `nil` for all.
    /// - Throws: ``RunDueBusyError`` when another call holds the lock; ``UsageError`` when
    ///   nothing is scheduled; ``ConfigError`` for an unknown table.
    @discardableResult
    public func runDue(table: String? = nil) throws -> RunSummary {
        let now = try WallClock.now()
        let runID = RunID.make()
        let lock = try Warehouse(config: config).open()
        do {
            try lock.acquireLock(Self.dueLockKey, runID: runID, timeout: .zero)
        } catch let error as LoadKitError where error.code == .locked {
            throw RunDueBusyError(holder: Self.holder(in: error.message))
        }
        defer { try? lock.releaseLock(Self.dueLockKey, runID: runID) }
        let due = try DuePlanning.plan(try pipeline, table: table, now: now)
        let waiting = due.waiting.map {
            RunSummary.WaitingPartition(table: $0.table, partition: $0.partition.key, state: $0.late ? "late" : "waiting",
                                        path: InputIdentity.displayName(of: $0.path))
        }
        var summary: RunSummary
        if due.plan.items.isEmpty {
            summary = RunSummary(runID: "", status: .success, items: [], notStarted: 0, seconds: 0)
        } else {
            summary = try execute(due.plan, command: "run", runID: runID,
                                  arguments: arguments(["run", "--due"] + (table.map { ["--table", $0] } ?? [])),
                                  options: RunOptions())
            // Waiting partitions are facts of the call, not of the run: the run itself succeeded.
        }
        summary.waiting = waiting
        let recorded = arguments(["run", "--due"] + (table.map { ["--table", $0] } ?? []))
        if let warning = try notifyLate(due.late, summary: summary, arguments: recorded) {
            summary.warnings.append(warning)
        }
        return summary
    }

    /// What ``runDue(table:)`` would do now; writes nothing, takes no lock
    /// (`loadkit run --due --dry-run`). Waiting partitions are steps with action `wait`.
    public func planDue(table: String? = nil) throws -> DryRun.Report {
        let due = try DuePlanning.plan(try pipeline, table: table, now: try WallClock.now())
        var steps = try DryRun.steps(due.plan, pipeline: try pipeline, force: false)
        for (index, step) in steps.enumerated() {
            if let why = step.partition.flatMap({ due.reasons[step.table + " " + $0] }), why == "lookback" {
                steps[index].reason = "lookback: " + step.reason
            }
        }
        steps += due.waiting.map {
            DryRun.Step(table: $0.table, partition: $0.partition.key, action: "wait",
                        reason: ($0.late ? "late: " : "waiting: ") + "source file not found yet: "
                            + InputIdentity.displayName(of: $0.path))
        }
        return DryRun.Report(table: table ?? "*", plan: steps)
    }

    /// The holder named in a `.locked` error (`… is locked by HOLDER; gave up …`).
    private static func holder(in message: String) -> String {
        guard let by = message.range(of: " is locked by ") else { return message }
        let rest = message[by.upperBound...]
        return String(rest[..<(rest.range(of: "; gave up")?.lowerBound ?? rest.endIndex)])
    }
}
