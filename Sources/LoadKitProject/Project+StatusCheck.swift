import Foundation
import LoadKit

/// What `loadkit status --check --json` prints: `{"ok", "problems": [{"table", "partition",
/// "state", "error"}]}`, `state` being `failed` or `late`.
public struct StatusCheck: Encodable, Sendable, Equatable {
    /// One failed or late partition.
    public struct Problem: Codable, Sendable, Equatable {
        /// The table.
        public var table: String
        /// The partition key.
        public var partition: String
        /// `failed` or `late`.
        public var state: String
        /// The failed attempt's error, or what a late partition waits for.
        public var error: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(table, forKey: .table); try c.encode(partition, forKey: .partition)
            try c.encode(state, forKey: .state); try c.encode(error, forKey: .error)
        }
        enum CodingKeys: String, CodingKey { case table, partition, state, error }
    }

    /// No partition in range is failed or late (the command exits 0, else 1).
    public var ok: Bool { problems.isEmpty }
    /// The failed and late partitions, per table in config order, oldest first.
    public var problems: [Problem]

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok); try c.encode(problems, forKey: .problems)
    }
    enum CodingKeys: String, CodingKey { case ok, problems }
}

extension Project {
    /// Whether anything is failed or late, for monitors (`loadkit status --check`). The range
    /// of each table is the one ``status(_:from:to:)`` shows without `--from`: a scheduled
    /// table's from `schedule.start` through its last due partition, any other partitioned
    /// table's every partition loaded or attempted. Reads only.
    /// - Parameter table: one partitioned table; `nil` checks every partitioned table.
    /// - Throws: ``ConfigError`` for an unknown table, ``UsageError`` for an unpartitioned one.
    public func check(_ table: String? = nil) throws -> StatusCheck {
        let names = try table.map { [try config.requireTable($0).name] }
            ?? config.tables.filter { $0.partition != nil }.map(\.name)
        var problems: [StatusCheck.Problem] = []
        for name in names {
            for p in try status(name).partitions where p.state == .failed || p.state == .late {
                problems.append(.init(table: name, partition: p.partition, state: p.state.rawValue,
                                      error: p.error ?? p.reason))
            }
        }
        return StatusCheck(problems: problems)
    }
}
