import CLinux
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 client connection of the load generator. Sends a prebuilt request,
/// reads the response (Content-Length or chunked), and reports timings: the head, every body
/// chunk (one SSE event per chunk from a server that flushes per event), and completion.
/// Loop-confined.
final class LoadConnection: IOHandler {
    enum Phase { case idle, sending, head, body, closed }

    let loop: EventLoop
    private(set) var phase: Phase = .idle
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var pending: [UInt8] = []
    private var outgoing: [UInt8] = []
    private var sent = 0
    private var bodyRemaining = 0
    private var chunked = false
    private var status = 0

    /// Intended send time of the request in flight (open-loop latency is measured from it).
    var intendedAt: UInt64 = 0
    var onChunk: ((LoadConnection, UInt64) -> Void)?
    var onDone: ((LoadConnection, Int, UInt64) -> Void)?
    var onError: ((LoadConnection, String) -> Void)?

    private let host: String
    private let port: UInt16
    private(set) var fd: Int32 = -1

    init(loop: EventLoop, host: String, port: UInt16) throws {
        self.loop = loop
        self.host = host
        self.port = port
        try open()
    }

    /// (Re)connects. A server may close an idle keep-alive connection (nginx after
    /// keepalive_requests, any server after its idle timeout): that is not an error.
    private func open() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError("socket") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc < 0 && errno != EINPROGRESS { close(fd); throw IOError("connect") }
        self.fd = fd
        pending.removeAll()
        phase = .idle
        try loop.register(fd: fd, events: [.readable], handler: self)
    }

    func send(_ request: [UInt8], intendedAt: UInt64) {
        self.intendedAt = intendedAt
        outgoing = request
        sent = 0
        phase = .sending
        status = 0
        flush()
    }

    private func flush() {
        while sent < outgoing.count {
            let count = outgoing.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EAGAIN || errno == ENOTCONN { try? loop.modify(fd: fd, events: [.readable, .writable]); return }
                return fail("send: \(IOError("send"))")
            }
            sent += count
        }
        try? loop.modify(fd: fd, events: [.readable])
        phase = .head
    }

    func handleIO(fd: Int32, events: IOEvents) {
        if events.contains(.writable), phase == .sending { flush() }
        guard events.contains(.readable) || events.contains(.hangup) || events.contains(.error) else { return }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 {
                if phase == .idle { return reconnect() }
                return fail("connection closed by the server")
            }
            if count < 0 {
                if errno == EAGAIN { return }
                return fail("recv: \(IOError("recv"))")
            }
            let now = monotonicNanoseconds()
            pending.append(contentsOf: buffer[..<count])
            process(now)
            if phase == .closed { return }
        }
    }

    private func process(_ now: UInt64) {
        if phase == .head {
            guard let end = headEnd() else { return }
            parseHead(pending[..<end])
            pending.removeFirst(end + 4)
            phase = .body
        }
        guard phase == .body else { return }
        if chunked { readChunks(now) } else { readFixed(now) }
    }

    private func headEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4) where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func parseHead(_ head: ArraySlice<UInt8>) {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        let lines = text.split(separator: "\r\n")
        status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        chunked = lines.contains { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }
        bodyRemaining = lines.first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst(15).trimmingCharacters()) } ?? 0
    }

    private func readFixed(_ now: UInt64) {
        let take = min(bodyRemaining, pending.count)
        bodyRemaining -= take
        pending.removeFirst(take)
        if bodyRemaining == 0 { complete(now) }
    }

    private func readChunks(_ now: UInt64) {
        while true {
            guard let lineEnd = findCRLF(from: 0) else { return }
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { return fail("bad chunk size") }
            guard pending.count >= lineEnd + 2 + size + 2 else { return }
            pending.removeFirst(lineEnd + 2 + size + 2)
            if size == 0 { return complete(now) }
            onChunk?(self, now)
        }
    }

    private func findCRLF(from start: Int) -> Int? {
        guard pending.count >= start + 2 else { return nil }
        for index in start...(pending.count - 2) where pending[index] == 13 && pending[index + 1] == 10 { return index }
        return nil
    }

    private func complete(_ now: UInt64) {
        phase = .idle
        onDone?(self, status, now)
    }

    private func fail(_ message: String) {
        phase = .closed
        loop.unregister(fd: fd)
        close(fd)
        onError?(self, message)
    }

    private func reconnect() {
        loop.unregister(fd: fd)
        close(fd)
        do { try open() } catch { fail("reconnect: \(error)") }
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
