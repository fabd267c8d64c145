/// Another `loadkit run --due` holds the warehouse's due lock: this call did nothing. The
/// command exits 75 (`EX_TEMPFAIL`): the next call picks up whatever is still due.
public struct RunDueBusyError: Error, CustomStringConvertible, Sendable {
    /// Which run is active (its id, pid, host, since when), as the lock's holder wrote it.
    public let holder: String

    public var description: String {
        "another `loadkit run --due` is active: \(holder); this call does nothing (the next one loads what is still due)"
    }
}
