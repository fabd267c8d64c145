import Foundation
import LoadKit

extension Project {
    /// Runs the config's hooks for a finished run (SPEC.md §9) and returns their warnings:
    /// `on_failure` for a run that did not succeed; for one that did, `on_recovery` when the
    /// previous finished run of the same scope (the same command and arguments; for a rerun,
    /// the run it re-ran) did not succeed, and `on_success` (opt-in) always.
    package func notifyRun(_ summary: RunSummary, command: String, arguments: [String], parentRunID: String?) -> [String] {
        let notify = config.notify
        var events: [(event: String, hook: String)] = []
        // A run log that cannot be read does not stop the other hooks; it is reported.
        var warnings: [String] = []
        if summary.status != .success {
            if let hook = notify.onFailure { events.append(("failure", hook)) }
        } else {
            if let hook = notify.onRecovery {
                do {
                    if try previousScopeFailed(summary.runID, command: command, arguments: arguments,
                                               parentRunID: parentRunID) {
                        events.append(("recovery", hook))
                    }
                } catch {
                    warnings.append("on_recovery not checked: cannot read the run log: \(error)")
                }
            }
            if let hook = notify.onSuccess { events.append(("success", hook)) }
        }
        guard !events.isEmpty else { return warnings }
        var record: RunRecord?
        do {
            record = try Warehouse(config: config).openForReading()?.run(summary.runID)
        } catch {
            warnings.append("the hook payload has no startedAt/finishedAt: cannot read the run log: \(error)")
        }
        return warnings + events.compactMap { event, hook in
            runHook(hook, RunNotification(event: event, summary: summary, command: commandLine(arguments),
                                          host: ProcessInfo.processInfo.hostName, warehouse: warehouseName,
                                          startedAt: record?.startedAt, finishedAt: record?.finishedAt,
                                          rerun: rerunCommand(summary.runID)))
        }
    }

    /// Runs `on_late` once for the partitions of `late` not notified late before, and records
    /// them (also when the hook fails: a failing hook must not turn into one alert per call).
    /// - Returns: the hook's warning, if any.
    package func notifyLate(_ late: [DuePlan.Waiting], summary: RunSummary, arguments: [String]) throws -> String? {
        guard let hook = config.notify.onLate, !late.isEmpty else { return nil }
        let log = try Warehouse(config: config).open()
        var fresh: [DuePlan.Waiting] = []
        for (table, group) in Dictionary(grouping: late, by: \.table) {
            let done = try log.notifiedPartitions(table: table, event: "late")
            fresh += group.filter { !done.contains($0.partition.key) }
        }
        guard !fresh.isEmpty else { return nil }
        fresh.sort { ($0.partition.start, $0.table) < ($1.partition.start, $1.table) }
        let record = summary.runID.isEmpty ? nil : try log.run(summary.runID)
        let payload = RunNotification(event: "late", summary: summary, command: commandLine(arguments),
                                      host: ProcessInfo.processInfo.hostName, warehouse: warehouseName,
                                      startedAt: record?.startedAt, finishedAt: record?.finishedAt,
                                      late: fresh.map { .init(table: $0.table, partition: $0.partition.key) },
                                      rerun: rerunCommand(summary.runID))
        let warning = runHook(hook, payload)
        let now = CivilTime.formatUTC(seconds: Int64(Date().timeIntervalSince1970))
        for (table, group) in Dictionary(grouping: fresh, by: \.table) {
            try log.recordNotified(table: table, partitions: group.map(\.partition.key), event: "late",
                                   runID: summary.runID, at: now)
        }
        return warning
    }

    private func runHook(_ hook: String, _ payload: RunNotification) -> String? {
        Notifier.run(hook, payload: payload,
                     workingDirectory: URL(fileURLWithPath: config.file).deletingLastPathComponent().path,
                     isCancelled: { [weak self] in self?.isStopping ?? true })
    }

    /// The warehouse as payloads name it (a URI's password masked).
    private var warehouseName: String { Warehouse.redacted(config.warehouse) }

    /// `loadkit ARGS`, each argument shell-quoted when it needs to be.
    private func commandLine(_ arguments: [String]) -> String {
        (["loadkit"] + arguments).map(Self.shellQuoted).joined(separator: " ")
    }

    /// `loadkit rerun RUN_ID --config /abs/loadkit.yml`: re-runs what failed, from anywhere.
    private func rerunCommand(_ runID: String) -> String? {
        guard !runID.isEmpty else { return nil }
        let file = URL(fileURLWithPath: config.file).standardizedFileURL.path
        return commandLine(["rerun", runID, "--config", file])
    }

    private static func scope(_ arguments: [String]) -> [String] {
        arguments.filter { $0 != "--json" && $0 != "--quiet" }
    }

    private static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@,+".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Whether the previous finished run of the same scope did not succeed. Output flags
    /// (`--json`, `--quiet`) do not change a run's scope.
    /// - Throws: ``LoadKitError`` or the destination's error when the run log cannot be read.
    private func previousScopeFailed(_ runID: String, command: String, arguments: [String],
                                     parentRunID: String?) throws -> Bool {
        guard let log = try Warehouse(config: config).openForReading() else { return false }
        if command == "rerun", let parentRunID, let parent = try log.run(parentRunID) {
            return parent.status != .success
        }
        let runs = try log.runs(limit: 200, failedOnly: false)
        let previous = runs.first { $0.runID != runID && $0.finishedAt != nil && $0.status != .running
            && $0.command == command && Self.scope($0.arguments) == Self.scope(arguments) }
        return previous.map { $0.status != .success } ?? false
    }
}
