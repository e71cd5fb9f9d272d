import Foundation

/// A loopback upstream that accepts connections and then never reads from them nor answers:
/// what an upstream that stopped reading the request body looks like from the client. Its
/// sockets' receive buffers are made small, so the kernel soon stops taking bytes and the
/// client's sends block. Accepted sockets stay open until `close()`.
///
/// Threading: one accepting thread of its own; `close()` from the test's thread.
final class DeafUpstream: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var accepted: [Int32] = []
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096  // inherited by the accepted sockets
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var actual = length
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &actual) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let thread = Thread { [self] in acceptUntilClosed() }
        thread.start()
    }

    /// Connections accepted so far.
    var acceptedCount: Int { lock.withLock { accepted.count } }

    private func acceptUntilClosed() {
        defer { stopped.signal() }
        while !lock.withLock({ stopping }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let fd = accept(listener, nil, nil)
            if fd >= 0 { lock.withLock { accepted.append(fd) } }
        }
    }

    func close() {
        lock.withLock { stopping = true }
        _ = stopped.wait(timeout: .now() + 2)
        _ = Glibc.close(listener)
        for fd in lock.withLock({ accepted }) { _ = Glibc.close(fd) }
    }
}
