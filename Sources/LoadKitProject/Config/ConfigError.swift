/// A mistake in `loadkit.yml`: where it is (file, line, column, key path) and what to do.
///
/// Rendered as `loadkit.yml, line 12, column 5: tables.flights.partition: unknown key
/// 'granularty'; allowed keys: column, granularity, from, timezone`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// The config file as the user named it.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column (in Unicode scalars), when known.
    public var column: Int?
    /// The dotted key path, for example `tables.flights.partition.granularity`.
    public var key: String?
    /// What is wrong and what is allowed.
    public var message: String

    /// `file, line L, column C: key: message`.
    public var description: String {
        var prefix = file
        if let line { prefix += ", line \(line)" }
        if let column { prefix += ", column \(column)" }
        if let key, !key.isEmpty { prefix += ": \(key)" }
        return "\(prefix): \(message)"
    }
}
