import Foundation
import LoadKit

extension Project {
    /// Loads one input file into `table`, as `loadkit load --table T --input FILE`: a dynamic
    /// load into a replace table (exactly the partitions present in the file are replaced), or
    /// an append of the file once (a rerun adds nothing).
    /// - Parameters:
    ///   - table: a table of the config.
    ///   - file: the input; its identity is its canonical path (SPEC.md §5).
    /// - Returns: what the load did.
    /// - Throws: ``LoadFailure`` when the load failed (recorded as a failed run), or a usage or
    ///   config error.
    @discardableResult
    public func load(_ table: String, file: String) throws -> LoadReport {
        try load(table: table, partition: nil, input: file)
    }

    /// Loads one partition of `table` from its source template, as
    /// `loadkit load --table T --partition KEY` (a static partition replace, or an append).
    /// - Throws: ``LoadFailure``, or a usage error for a malformed key.
    @discardableResult
    public func load(_ table: String, partition: String) throws -> LoadReport {
        try load(table: table, partition: partition, input: nil)
    }

    /// Loads `table` as `loadkit load` does: one partition (`partition`), one input file
    /// (`input`), or, with neither, a whole unpartitioned table from its source.
    ///
    /// The load runs as a one-item run of the project's pipeline: recorded in the run log with
    /// its plan, retried by the table's retry policy, and loading a transform exactly as a
    /// backfill would.
    /// - Throws: ``LoadFailure`` when the load failed; ``UsageError`` when the arguments do
    ///   not fit the table; ``ConfigError`` for an unknown table.
    @discardableResult
    public func load(table: String, partition: String? = nil, input: String? = nil) throws -> LoadReport {
        guard partition == nil || input == nil else { throw UsageError("give a partition or an input, not both") }
        let tableConfig = try config.requireTable(table)
        let item = try Self.item(table: tableConfig, partition: partition, input: input)
        let box = ResultBox(forwardingTo: observer)
        let runner = try pipeline.runner(concurrency: 1, force: true)
        runner.observer = box
        let summary = try withRegistered(runner) {
            try runner.run(RunPlan(items: [item]), command: ProcessInfo.processInfo.environment["LOADKIT_RUN_COMMAND"] ?? "load",
                           arguments: arguments(["load", "--table", table] + (partition.map { ["--partition", $0] } ?? [])
                                                + (input.map { ["--input", $0] } ?? [])))
        }
        if let result = box.get(), summary.status == .success { return LoadReport(result) }
        throw LoadFailure(message: summary.items.first?.message ?? "the load did not finish (\(summary.status.rawValue))",
                          runID: summary.runID, error: summary.items.first?.error)
    }

    /// The run item of a load of `table` from `partition` or `input`.
    package static func item(table: LoadKitConfig.TableConfig, partition: String?, input: String?) throws -> RunPlan.Item {
        if let input {
            guard table.sql == nil else {
                throw UsageError("table '\(table.name)' is a SQL transform; it takes no --input")
            }
            // The path the load opens, absolute, so a rerun from another folder finds it.
            return RunPlan.Item(task: table.name, partition: nil, input: InputIdentity.canonicalPath(input))
        }
        if let key = try table.partitionKey(partition) {
            return RunPlan.Item(task: table.name, partition: try table.scheme!.partition(forKey: key))
        }
        guard table.partition == nil else {
            throw UsageError("table '\(table.name)' is partitioned: give --partition KEY or --input FILE")
        }
        return RunPlan.Item(task: table.name, partition: nil)
    }

    /// Keeps the one load's result and passes progress on.
    private final class ResultBox: RunObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var result: LoadResult?
        private let next: (any RunObserver)?
        init(forwardingTo next: (any RunObserver)?) { self.next = next }
        func runProgressed(_ progress: RunProgress) { next?.runProgressed(progress) }
        func loaded(_ result: LoadResult, item: RunPlan.Item) {
            lock.withLock { self.result = result }
            next?.loaded(result, item: item)
        }
        func get() -> LoadResult? { lock.withLock { result } }
    }
}

/// A load that failed; its run and attempts are recorded (`loadkit runs RUN_ID`), and
/// `loadkit rerun RUN_ID` (or ``Project/rerun(runID:options:)``) runs it again.
public struct LoadFailure: Error, CustomStringConvertible, Sendable {
    /// The load's error, with file, line and column where the input was at fault.
    public let message: String
    /// The run that recorded the failure.
    public let runID: String
    /// The load's error with its code and location (file, line, column), when it had one.
    public let error: LoadKitError?
    /// A failure of run `runID` with `message`.
    public init(message: String, runID: String, error: LoadKitError? = nil) {
        self.message = message; self.runID = runID; self.error = error
    }
    /// The message.
    public var description: String { message }
}
