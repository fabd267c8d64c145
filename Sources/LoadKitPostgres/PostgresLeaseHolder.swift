import Foundation

/// Who holds a lease row of `_loadkit_leases` (``PostgresLocks``): the host, the process id, and
/// the scope in which that id means one process (the kernel's boot id and the pid namespace),
/// so that an acquirer on the same host can tell that the holder is dead without waiting for
/// its lease to expire, as SQLite's lock files are freed by the kernel.
struct PostgresLeaseHolder: Sendable, Equatable {
    /// `ProcessInfo.hostName`.
    let host: String
    /// The process id.
    let pid: Int32
    /// `<boot id>/<pid namespace>` on Linux (`/proc/sys/kernel/random/boot_id`, the link
    /// `/proc/self/ns/pid`); empty where they do not exist. Two containers sharing a host name
    /// but not a pid namespace never judge each other's pids.
    let scope: String

    /// This process.
    static let current = PostgresLeaseHolder(
        host: ProcessInfo.processInfo.hostName, pid: getpid(),
        scope: [(try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines),
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")]
            .map { $0 ?? "" }.joined(separator: "/"))

    /// Whether the holder recorded as (`host`, `scope`, `pid`) is a process of this host and
    /// scope, other than this one, that no longer exists (`kill(pid, 0)` fails with `ESRCH`).
    /// A holder recorded elsewhere, or without a pid (a row of an older loadkit), is never
    /// judged: its lease has to expire.
    func outlives(host: String?, scope: String?, pid: String?) -> Bool {
        guard host == self.host, scope == self.scope, let pid = pid.flatMap({ Int32($0) }), pid > 0,
              pid != self.pid else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
