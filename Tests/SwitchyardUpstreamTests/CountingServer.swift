import Foundation

/// A minimal keep-alive HTTP/1.1 server on loopback that counts the TCP connections it accepts,
/// so tests can tell whether the client reused its connections. It answers every request with
/// `200 ok` unless given a script; requests must have no body. One thread accepts, one thread
/// serves each connection.
final class CountingServer: @unchecked Sendable {
    /// What to send for the n-th request (from 0) on a connection: bytes, and whether to close
    /// afterwards. nil closes the connection without an answer.
    typealias Script = @Sendable (_ indexOnConnection: Int) -> (bytes: [UInt8], close: Bool)?
    static let ok: Script = { _ in (Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8), false) }

    let port: Int
    private let script: Script
    private let listener: Int32
    private let lock = NSLock()
    private var accepted = 0
    private var served = 0

    init(script: @escaping Script = CountingServer.ok) throws {
        self.script = script
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    var connections: Int { lock.withLock { accepted } }
    var requests: Int { lock.withLock { served } }

    /// Stops accepting (existing connections end when their clients close them).
    func stop() { shutdown(listener, Int32(SHUT_RDWR)) }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else {
                close(listener)
                return
            }
            lock.withLock { accepted += 1 }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var index = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            pending += chunk[..<count]
            // Answer each complete head ("\r\n\r\n") in the buffer.
            while let end = Self.headEnd(pending) {
                pending.removeFirst(end)
                guard let answer = script(index) else { return }
                index += 1
                lock.withLock { served += 1 }
                _ = answer.bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if answer.close { return }
            }
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }
}
