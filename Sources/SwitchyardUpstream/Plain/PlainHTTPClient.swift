import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// Plain-HTTP/1.1 upstreams at literal addresses, spoken directly on the event loop: a pool of
/// keep-alive connections per origin, one request in flight per connection. This is the hot
/// path of a gateway in front of self-hosted models and sidecars, and doing it ourselves
/// removes libcurl's per-request work (handle setup, a liveness poll of the reused connection,
/// timer callbacks) from it. See docs/decisions/0005-plain-http-upstream-client.md.
///
/// Threading: loop-confined, like `UpstreamClient`, which owns it.
final class PlainHTTPClient {
    let loop: EventLoop
    /// Every read of every connection of this loop lands here and is consumed before the next
    /// read, so a thousand idle streams cost no buffers.
    let readBuffer: UnsafeMutableBufferPointer<UInt8>
    private var idle: [String: [PlainConnection]] = [:]
    private(set) var idleCount = 0
    private var targets: [String: PlainTarget] = [:]
    static let readBufferBytes = 64 * 1024
    static let maxCachedTargets = 256

    init(loop: EventLoop) {
        self.loop = loop
        readBuffer = .allocate(capacity: Self.readBufferBytes)
    }

    deinit {
        for connections in idle.values { for connection in connections { connection.closeSocket() } }
        readBuffer.deallocate()
    }

    /// The parsed target for `url`, when it can go the plain way (cached: URLs repeat).
    func target(for url: String) -> PlainTarget? {
        if let known = targets[url] { return known }
        guard let target = PlainTarget(url: url) else { return nil }
        if targets.count >= Self.maxCachedTargets { targets.removeAll(keepingCapacity: true) }
        targets[url] = target
        return target
    }

    func start(_ request: UpstreamRequest, target: PlainTarget, delegate: UpstreamResponseDelegate) -> PlainExchange {
        let exchange = PlainExchange(client: self, request: request, target: target, delegate: delegate)
        exchange.send()
        return exchange
    }

    /// The most recently used idle connection to the target's origin, or a new one.
    func connection(to target: PlainTarget) -> Result<PlainConnection, IOError> {
        if var pool = idle[target.origin], let connection = pool.popLast() {
            idle[target.origin] = pool
            idleCount -= 1
            return .success(connection)
        }
        return PlainConnection.open(target, client: self)
    }

    /// Takes back a connection whose exchange ended cleanly.
    func release(_ connection: PlainConnection) {
        guard idleCount < UpstreamClient.maxCachedConnections else { return connection.close() }
        idle[connection.origin, default: []].append(connection)
        idleCount += 1
    }

    /// An idle connection the upstream closed (or sent unsolicited bytes on): forget it.
    func discard(_ connection: PlainConnection) {
        if var pool = idle[connection.origin], let index = pool.firstIndex(where: { $0 === connection }) {
            pool.remove(at: index)
            idle[connection.origin] = pool
            idleCount -= 1
        }
        connection.close()
    }

    /// Open connections, idle or busy (maintained by `PlainConnection`).
    var openCount = 0
    /// Connections with an exchange in flight.
    var busyCount: Int { openCount - idleCount }
}
