import Foundation

/// How a load's rows reach the target; the ``Loader`` picks one per load.
///
/// README "How a load runs" describes both, step by step, with what a crash at each step
/// leaves behind.
public enum WriteStrategy: String, Sendable, CaseIterable {
    /// Each row is written once, straight into the target, inside the destination's replace
    /// (``Destination/beginReplace(_:loadID:)``): a partition replace (static or dynamic) or the
    /// replace of an unpartitioned table, from a file, when the destination offers it.
    case direct
    /// Each row is written into a staging table, then one transaction moves the staged rows into
    /// the target (``Destination/commit(_:beforeCommit:)``): an append (validated whole, then
    /// published once, so a rerun never duplicates it), a SQL transform, a destination without
    /// ``Destination/beginReplace(_:loadID:)``, and a dynamic replace that found one of its partitions
    /// locked by another run.
    case staged
}

extension WriteStrategy {
    /// The strategy forced by `LOADKIT_WRITE_STRATEGY` (`direct` or `staged`; unset, empty or
    /// `auto`: none), for comparing the two through the `loadkit` command in tests and
    /// benchmarks. Any other value is ignored.
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) -> WriteStrategy? {
        environment["LOADKIT_WRITE_STRATEGY"].flatMap(WriteStrategy.init(rawValue:))
    }

    /// ``configured(environment:)`` of this process, read once.
    public static let fromEnvironment: WriteStrategy? = configured()
}
