/// The seam where a request finds its key by the SHA-256 of the secret it sent. The request path
/// calls it on its loop and takes the answer at once, so an implementation answers from memory.
///
/// `KeyRegistry` is this process's (every key, loaded at start, kept by the admin API). A shared
/// backing for several replicas (Redis, a later change) implements this too: it answers from its
/// own cache of keys, each trusted for `redis.key_cache`, and learns of keys other replicas
/// created or revoked when it refreshes an entry; `Authentication` only ever sees this protocol.
protocol KeyDirectory: AnyObject, Sendable {
    /// The key whose secret hashes to `hash` (disabled and expired ones too: the caller says
    /// why it refuses), or nil when there is none. Thread-safe; never blocks on I/O.
    func key(hash: String) -> VirtualKey?
}

/// A directory without keys: for a responder assembled without a store (tests of other parts).
final class NoKeys: KeyDirectory {
    func key(hash: String) -> VirtualKey? { nil }
}
