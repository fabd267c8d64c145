import Foundation
import LoadKitTesting

/// A network namespace joined to this one by a veth pair (`ip netns`, `ip link … type veth`),
/// so that a child process in it reaches the test server over a real network link, which the
/// test can cut. Needs root (CI runs as root); ``unavailableReason`` says why it cannot run.
final class NetworkNamespace {
    let name: String
    /// The host end of the link, and its address (the namespace's end is `.2`).
    let hostInterface: String
    let hostAddress: String
    let namespaceAddress: String

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why the namespace tests are skipped here, or `nil` when they can run.
    static var unavailableReason: String? {
        if getuid() != 0 { return "network namespaces need root (CI runs as root)" }
        if ip == nil { return "the ip command (iproute2) is not installed" }
        return nil
    }

    init() throws {
        let tag = String(UInt32.random(in: 0...0xFFFFF), radix: 16)
        let subnet = Int.random(in: 0...250)
        name = "lkq\(tag)"
        hostInterface = "lkh\(tag)"
        hostAddress = "10.213.\(subnet).1"
        namespaceAddress = "10.213.\(subnet).2"
        let inside = "lkn\(tag)"
        try Self.run(["netns", "add", name])
        try Self.run(["link", "add", hostInterface, "type", "veth", "peer", "name", inside])
        try Self.run(["link", "set", inside, "netns", name])
        try Self.run(["addr", "add", "\(hostAddress)/30", "dev", hostInterface])
        try Self.run(["link", "set", hostInterface, "up"])
        try Self.run(["netns", "exec", name, Self.ip!, "addr", "add", "\(namespaceAddress)/30", "dev", inside])
        try Self.run(["netns", "exec", name, Self.ip!, "link", "set", inside, "up"])
        try Self.run(["netns", "exec", name, Self.ip!, "link", "set", "lo", "up"])
    }

    /// Takes the link down: packets between the namespace and the host are dropped, no FIN or
    /// RST is sent, as when a machine loses its network.
    func cut() throws { try Self.run(["link", "set", hostInterface, "down"]) }

    /// `ip netns exec NAME program arguments…`: the arguments that start `program` inside.
    func exec(_ program: String, _ arguments: [String]) -> (String, [String]) {
        (Self.ip!, ["netns", "exec", name, program] + arguments)
    }

    deinit {
        // Deleting the namespace destroys its end of the veth pair, and with it the host's.
        _ = try? ChildProcess.run(Self.ip!, ["netns", "del", name])
        _ = try? ChildProcess.run(Self.ip!, ["link", "del", hostInterface])
    }

    private static func run(_ arguments: [String]) throws {
        let result = try ChildProcess.run(ip!, arguments)
        guard result.status == 0 else { throw SetupFailed(message: "ip \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    struct SetupFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// A TCP relay from `listenAddress:port` to `127.0.0.1:targetPort`, a thread pair per
/// connection: the test server listens on loopback only, and the relay on the veth address
/// carries a namespace's connections to it.
final class TCPRelay: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32

    init(listenAddress: String, targetPort: UInt16) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, listenAddress, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var target = sockaddr_in()
                target.sin_family = sa_family_t(AF_INET)
                target.sin_port = targetPort.bigEndian
                inet_pton(AF_INET, "127.0.0.1", &target.sin_addr)
                let connected = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { close(client); close(server); continue }
                Thread.detachNewThread { Self.pump(from: client, to: server) }
                Thread.detachNewThread { Self.pump(from: server, to: client) }
            }
        }
    }

    private static func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                if m <= 0 { shutdown(from, Int32(SHUT_RDWR)); return }
                sent += m
            }
        }
        shutdown(to, Int32(SHUT_WR))
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
