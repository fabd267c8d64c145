import Foundation

extension TimeZone {
    /// The zone's IANA identifier as messages show it: `UTC` for the zone Foundation on Linux
    /// names `GMT` (`TimeZone(identifier: "UTC")!.identifier == "GMT"` there), so a config that
    /// says `timezone: UTC` reads `UTC` back; every other identifier as it is.
    ///
    /// ```swift
    /// TimeZone(identifier: "UTC")!.displayIdentifier               // "UTC"
    /// TimeZone(identifier: "America/New_York")!.displayIdentifier  // "America/New_York"
    /// ```
    public var displayIdentifier: String {
        Self.canonicalName(identifier)
    }

    /// The tz database's names for UTC (`Etc/UTC`, `Etc/GMT`, `Zulu`, `UCT`, `Universal`, …),
    /// which are links to one zone.
    static let utcAliases: Set<String> = [
        "UTC", "GMT", "Etc/UTC", "Etc/GMT", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/Greenwich",
        "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "UCT", "Universal", "Zulu", "Greenwich",
    ]

    /// `identifier`, or `UTC` for any of the tz database's names of UTC, so `timezone: Etc/UTC`
    /// and `timezone: UTC` are one partition time zone.
    public static func canonicalName(_ identifier: String) -> String {
        utcAliases.contains(identifier) ? "UTC" : identifier
    }

    /// Whether `other` draws the same local calendar: the same identifier, or two fixed-offset
    /// zones (no daylight-saving transitions ahead) with the same offset, such as `UTC` and
    /// `Etc/UTC`.
    public func sameLocalTime(as other: TimeZone) -> Bool {
        if displayIdentifier == other.displayIdentifier { return true }
        return nextDaylightSavingTimeTransition == nil && other.nextDaylightSavingTimeTransition == nil
            && secondsFromGMT() == other.secondsFromGMT()
    }
}
