/// A mistake in `loadkit.yml`: where it is (file, line, column, key path) and what to do.
///
/// Rendered as `loadkit.yml, line 12, column 5: tables.flights.partition: unknown key
/// 'granularty'; allowed keys: column, granularity, from, timezone`.
package struct ConfigError: Error, CustomStringConvertible {
    /// The config file as the user named it.
    package var file: String
    /// 1-based line, when known.
    package var line: Int?
    /// 1-based column (in Unicode scalars), when known.
    package var column: Int?
    /// The dotted key path, for example `tables.flights.partition.granularity`.
    package var key: String?
    /// What is wrong and what is allowed.
    package var message: String

    package var description: String {
        var prefix = file
        if let line { prefix += ", line \(line)" }
        if let column { prefix += ", column \(column)" }
        if let key, !key.isEmpty { prefix += ": \(key)" }
        return "\(prefix): \(message)"
    }
}
