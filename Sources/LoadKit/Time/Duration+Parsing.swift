/// Durations as users write them in `loadkit.yml` and in `LOADKIT_FAILPOINT=…:sleep=…`.
extension Duration {
    /// The longest duration loadkit accepts anywhere: 366 days, in seconds. Longer values are
    /// almost certainly typos (`1e20s`) and would overflow the clock arithmetic.
    public static let longestAccepted: Duration = .seconds(366 * 86_400)

    /// Why a duration's text was refused, for example `'10' has no unit; write 10s, 10m …`.
    public struct SyntaxError: Error, Sendable {
        /// The reason, without the key or variable that held the text (the caller adds it).
        public let reason: String
    }

    /// Reads a duration written as a non-negative decimal number and a unit: `ms`, `s`, `m`,
    /// `h` or `d` (milliseconds, seconds, minutes, hours, days), for example `500ms`, `1.5s`,
    /// `2m`, `1h`, `7d`. Rounded to whole milliseconds.
    ///
    /// A number without a unit is refused: `10` could mean seconds or milliseconds, and a
    /// config that guesses wrong waits a thousand times too long or too short.
    /// - Throws: ``SyntaxError`` for a missing or unknown unit, a malformed or negative number,
    ///   or a value beyond ``longestAccepted``.
    public init(parsing text: String) throws(SyntaxError) {
        let trimmed = text.trimmingSpaces
        let units: [(suffix: String, seconds: Double)] =
            [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        guard let unit = units.first(where: { trimmed.hasSuffix($0.suffix) }),
              let number = Double(trimmed.dropLast(unit.suffix.count)),
              number.isFinite, number >= 0, trimmed.first?.isNumber == true,
              trimmed.dropLast(unit.suffix.count).allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) })
        else {
            if Double(trimmed) != nil {
                throw SyntaxError(reason: "'\(trimmed)' has no unit; write it like \(trimmed)s, "
                    + "\(trimmed)ms or \(trimmed)m (units: ms, s, m, h, d)")
            }
            throw SyntaxError(reason: "'\(trimmed)' is not a duration; write it like 500ms, 1s, 2m, 1h or 7d")
        }
        let seconds = number * unit.seconds
        let longest = Double(Self.longestAccepted.components.seconds)
        guard seconds <= longest else {
            throw SyntaxError(reason: "'\(trimmed)' is too long; the longest accepted duration is 366d")
        }
        self = .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The duration in seconds, as a `Double` (for `Date` arithmetic and display).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

private extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
