/// Where Redis is and how to talk to it: the `redis:` config section, mapped by the gateway
/// (this module does not depend on the config module).
public struct RedisSettings: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
        /// A host (name or address) and port. A name is resolved when the client is made and
        /// before each reconnection, always off the loops: hiredis is only given addresses (it
        /// would otherwise resolve with a blocking getaddrinfo on a loop).
        case tcp(host: String, port: Int)
        /// A unix socket path.
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): path
            }
        }
    }

    public var endpoint: Endpoint
    public var password: String?
    public var database: Int
    /// Per command: past it the command fails and the connection is dropped and made anew.
    public var timeoutNanoseconds: UInt64
    /// How long a connection attempt may take (a dropped SYN never answers).
    public var connectTimeoutNanoseconds: UInt64
    /// The longest wait between reconnection attempts (the wait doubles from 100 ms up to it).
    public var reconnectCapNanoseconds: UInt64

    public init(
        endpoint: Endpoint, password: String? = nil, database: Int = 0, timeoutNanoseconds: UInt64 = 250_000_000,
        connectTimeoutNanoseconds: UInt64 = 1_000_000_000, reconnectCapNanoseconds: UInt64 = 5_000_000_000
    ) {
        self.endpoint = endpoint
        self.password = password
        self.database = database
        self.timeoutNanoseconds = timeoutNanoseconds
        self.connectTimeoutNanoseconds = connectTimeoutNanoseconds
        self.reconnectCapNanoseconds = reconnectCapNanoseconds
    }
}
