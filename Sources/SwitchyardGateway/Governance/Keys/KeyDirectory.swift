import SwitchyardCore
/// The seam where a request finds its key by the SHA-256 of the secret it sent. The request path
/// calls it on its loop and takes the answer at once, so an implementation answers from memory.
///
/// `KeyRegistry` is this process's (every key, loaded at start, kept by the admin API); with
/// `redis:` it answers from the replicas' shared keys first (`SharedKeys`, trusted for
/// `redis.key_cache`). `Authentication` only ever sees this protocol.
protocol KeyDirectory: AnyObject, Sendable {
    /// The key whose secret hashes to `hash` (disabled and expired ones too: the caller says
    /// why it refuses), or nil when there is none; throws the 503 to answer when the keys
    /// cannot be checked (shared keys out of date, `fail_closed`). Thread-safe; never blocks on I/O.
    func key(hash: String) throws(GatewayError) -> VirtualKey?
}

/// A directory without keys: for a responder assembled without a store (tests of other parts).
final class NoKeys: KeyDirectory {
    func key(hash: String) throws(GatewayError) -> VirtualKey? { nil }
}
