/// A Lua script run with EVALSHA: loaded (SCRIPT LOAD) on a connection's first use of it, run by
/// its SHA1 after that; when the server answers NOSCRIPT (restarted, SCRIPT FLUSH) it is loaded
/// again and run once more.
public struct RedisScript: Sendable, Hashable {
    public let source: String

    public init(_ source: String) { self.source = source }
}
