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
        identifier == "GMT" ? "UTC" : identifier
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
