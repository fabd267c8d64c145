/// A mistake in `loadkit.yml`: where it is (file, line, column, key path) and what to do.
///
/// Rendered as `loadkit.yml, line 12, column 5: tables.flights.partition: unknown key
/// 'granularty'; allowed keys: column, granularity, from, timezone`.
struct ConfigError: Error, CustomStringConvertible {
    /// The config file as the user named it.
    var file: String
    /// 1-based line, when known.
    var line: Int?
    /// 1-based column (in Unicode scalars), when known.
    var column: Int?
    /// The dotted key path, for example `tables.flights.partition.granularity`.
    var key: String?
    /// What is wrong and what is allowed.
    var message: String

    var description: String {
        var prefix = file
        if let line { prefix += ", line \(line)" }
        if let column { prefix += ", column \(column)" }
        if let key, !key.isEmpty { prefix += ": \(key)" }
        return "\(prefix): \(message)"
    }
}
