import SwitchyardHTTP
import SwitchyardPosix
import Synchronization

/// Requests a plugin sends to this gateway itself: `http_send` with a path as its URL
/// ("/v1/chat/completions") goes to the gateway's internal listener (`Gateway.internalServer`)
/// carrying
/// `X-Switchyard-Internal: <secret>`, a random value drawn once per process and never shown to
/// plugins, clients or logs. A request that carries the right secret is internal: the planner
/// leaves guardrails out of its plan (`ExecutionPlan.internalRequest`), so a guardrail that asks
/// the gateway for a moderation verdict is not inspected by itself. The header is stripped
/// before the request goes further; one with any other value is an ordinary header of an
/// ordinary request (no privilege).
///
/// Threading: thread-safe. The listener's address is set once the server listens.
final class InternalRequests: Sendable {
    static let headerName = "X-Switchyard-Internal"
    let secret: String
    /// `http://127.0.0.1:8080`: where paths go; nil until the server listens.
    private let base = Mutex<String?>(nil)

    init(secret: String = InternalRequests.randomSecret()) {
        self.secret = secret
    }

    /// Paths go to `address` (the internal listener's) from now on; a wildcard address (0.0.0.0,
    /// ::) is reached on loopback.
    func listening(on address: SocketAddress?) {
        guard let address else { return }
        var text = address.description
        if text.hasPrefix("0.0.0.0:") { text = "127.0.0.1:" + text.dropFirst(8) }
        if text.hasPrefix("[::]:") { text = "[::1]:" + text.dropFirst(5) }
        base.withLock { $0 = "http://" + text }
    }

    /// The absolute URL of a path on this gateway; nil before the server listens.
    func url(forPath path: String) -> String? {
        base.withLock { $0 }.map { $0 + path }
    }

    /// What a request's headers say: the header's name is compared only when its length
    /// matches, so the common case (no such header) costs a length compare per header.
    func carriesSecret(_ headers: HTTPHeaders) -> Bool {
        var found = false
        // Indices, not `for pair in`: reading the length in place copies (retains) nothing.
        for index in headers.pairs.indices where headers.pairs[index].name.utf8.count == Self.headerLength {
            guard HTTPHeaders.equalIgnoringCase(headers.pairs[index].name, Self.headerName) else { continue }
            guard headers.pairs[index].value == secret else { return false }  // a wrong (or a second, different) value: no privilege
            found = true
        }
        return found
    }

    /// `request` without the header (called only for a request that carries the secret).
    func stripped(_ request: HTTPRequest) -> HTTPRequest {
        let kept = request.headers.pairs.filter { !HTTPHeaders.equalIgnoringCase($0.name, Self.headerName) }
        return HTTPRequest(
            method: request.method, target: request.target, version: request.version, headers: HTTPHeaders(kept.map { ($0.name, $0.value) }),
            body: request.body, bodyStream: request.bodyStream, requestID: request.requestID, receivedAt: request.receivedAt)
    }

    /// `headerName.utf8.count`, as a literal: a constant costs no lazy initialisation per use.
    static let headerLength = 21

    /// 32 hex digits from the system's random source.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = String(generator.next() as UInt32, radix: 16)
            return String(repeating: "0", count: 8 - word.count) + word
        }.joined()
    }
}
