import Foundation
import LoadKit
import LoadKitProject

extension DryRun {
    /// Prints the plan.
    /// - Returns: whether it foresees a failure (the command then exits 1).
    static func print(_ report: Report, json: Bool) throws -> Bool {
        let steps = report.plan
        if json {
            try JSONOutput.print(report)
            return report.foreseesFailure
        }
        let width = max(9, steps.map { ($0.partition ?? "-").count }.max() ?? 0)
        let tableWidth = max(5, steps.map(\.table.count).max() ?? 0)
        let actionWidth = max(6, steps.map(\.action.count).max() ?? 0)
        Swift.print("partition".padding(toLength: width, withPad: " ", startingAt: 0) + "  "
            + "table".padding(toLength: tableWidth, withPad: " ", startingAt: 0) + "  "
            + "action".padding(toLength: actionWidth, withPad: " ", startingAt: 0) + "  reason")
        for s in steps {
            Swift.print((s.partition ?? "-").padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + s.table.padding(toLength: tableWidth, withPad: " ", startingAt: 0) + "  "
                + s.action.padding(toLength: actionWidth, withPad: " ", startingAt: 0) + "  " + s.reason)
        }
        let counts = Dictionary(grouping: steps, by: \.action).mapValues(\.count)
        Swift.print("dry run: " + ["load", "reload", "skip", "wait", "fail", "upstream_failed"].compactMap { action in
            counts[action].map { "\($0) \(action)" }
        }.joined(separator: ", ") + "; nothing was written")
        return report.foreseesFailure
    }
}
