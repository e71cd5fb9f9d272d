/// A Lua script run with EVALSHA: loaded (SCRIPT LOAD) on a connection's first use of it, run by
/// its SHA1 after that; when the server answers NOSCRIPT (restarted, SCRIPT FLUSH) it is loaded
/// again and run once more. Make each script once (a `static let`): connections remember loaded
/// scripts by the object's identity, not by hashing the source on every call.
public final class RedisScript: Sendable {
    public let source: String

    public init(_ source: String) { self.source = source }

    var identity: ObjectIdentifier { ObjectIdentifier(self) }
}
