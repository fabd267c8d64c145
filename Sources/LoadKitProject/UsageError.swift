/// A call that does not fit the project: an unknown run, flags that do not fit the table, a
/// range that crosses differently partitioned tables. The command exits 64 for it.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do instead.
    public let description: String
    /// An error with `description`.
    public init(_ description: String) { self.description = description }
}
