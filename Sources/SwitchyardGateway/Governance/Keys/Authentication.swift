#if canImport(Glibc)
import Glibc
#endif
import SwitchyardCore
import SwitchyardHTTP
import Synchronization

/// Who sent a client request: the key in `Authorization: Bearer <key>` (OpenAI's SDKs) or
/// `x-api-key: <key>` (Anthropic's), checked against the master key and the key directory.
/// Process-level (the responder's); `configure` follows reloads (`keys.required`, the master key).
///
/// Threading: `isRequired` and `identify` run on every loop; one atomic flag and, when keys are
/// required, a mutex-guarded read and a dictionary lookup. No store access on the request path.
final class Authentication: Sendable {
    let directory: any KeyDirectory
    private let required: Atomic<Bool>
    private let master: Mutex<AdminKey?>

    init(directory: any KeyDirectory, required: Bool, masterKey: String?) {
        self.directory = directory
        self.required = Atomic(required)
        self.master = Mutex(masterKey.map(AdminKey.init))
    }

    func configure(required: Bool, masterKey: String?) {
        master.withLock { $0 = masterKey.map(AdminKey.init) }
        self.required.store(required, ordering: .releasing)
    }

    /// False on an open gateway: then no request is identified (the bare path's one check).
    var isRequired: Bool { required.load(ordering: .relaxed) }

    /// The request's key, or the 401 to answer (the route's error shape is the responder's).
    func identify(_ request: HTTPRequest) throws(GatewayError) -> ClientIdentity {
        guard let token = Self.token(in: request.headers) else { throw Self.missing }
        if let master = master.withLock({ $0 }), master.admits("Bearer " + token) { return .master }
        guard let key = try directory.key(hash: KeySecret.hash(of: token)) else {
            let shown = KeySecret.prefix(of: token)
            throw Self.unauthorized("Incorrect API key provided\(shown.isEmpty ? "" : ": \(shown)…"). Ask the gateway's operator for a key.")
        }
        if key.disabled { throw Self.unauthorized("The API key \(key.prefix)… is disabled.") }
        if key.isExpired(now: Int64(time(nil))) { throw Self.unauthorized("The API key \(key.prefix)… has expired.") }
        let identity = ClientIdentity(key)
        try identity.authorize(path: request.path)
        return identity
    }

    /// The bearer token, else `x-api-key`; nil when neither is there (or empty).
    static func token(in headers: HTTPHeaders) -> String? {
        if let authorization = headers["Authorization"] {
            let bytes = Array(authorization.utf8)
            let scheme = Array("bearer ".utf8)
            if bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == $1 }) {
                let token = String(decoding: bytes[scheme.count...], as: UTF8.self).trimmingSpaces
                if !token.isEmpty { return token }
            }
        }
        if let key = headers["x-api-key"]?.trimmingSpaces, !key.isEmpty { return key }
        return nil
    }

    static let missing = unauthorized(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or in an x-api-key header.")

    /// OpenAI's 401 (its SDKs raise AuthenticationError); Anthropic's `authentication_error` on
    /// /v1/messages comes from the responder's rendering by status.
    static func unauthorized(_ message: String) -> GatewayError {
        GatewayError(status: 401, type: "invalid_request_error", code: "invalid_api_key", message: message)
    }
}

private extension String {
    var trimmingSpaces: String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
