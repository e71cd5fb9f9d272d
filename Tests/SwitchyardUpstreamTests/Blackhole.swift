import Foundation

/// A loopback port where connecting hangs: a listener with a backlog of 0 that never accepts,
/// its accept queue filled by two connections of its own. The kernel then drops further SYNs
/// (the client retransmits and waits), which is what an unreachable upstream looks like.
final class Blackhole: @unchecked Sendable {
    let port: Int
    private var sockets: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
        var actual = length
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &actual) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        sockets.append(listener)
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) } }
            sockets.append(filler)
        }
        Thread.sleep(forTimeInterval: 0.05)  // let the handshakes land in the queue
    }

    func close() {
        for fd in sockets { _ = Glibc.close(fd) }
        sockets.removeAll()
    }
}
