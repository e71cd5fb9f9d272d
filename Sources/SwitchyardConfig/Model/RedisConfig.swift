/// The `redis:` section: the Redis that replicas share their ledger (budgets, rate limits) and
/// key lookups through. Absent: no Redis, every replica counts on its own.
public struct RedisConfig: Sendable, Hashable {
    public enum Address: Sendable, Hashable, CustomStringConvertible {
        case tcp(host: String, port: Int)
        /// A unix socket path (an address starting with `/`).
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): path
            }
        }
    }

    /// What admission does while Redis cannot answer (down, or past `timeout`).
    public enum UnavailablePolicy: String, Sendable, Hashable, CaseIterable {
        /// Admit through this replica's local ledger (its own counters) until Redis is back.
        case failOpen = "fail_open"
        /// Refuse with 503 (`governance_unavailable`).
        case failClosed = "fail_closed"
    }

    public var address: Address
    public var password: String?
    public var database = 0
    /// Per command; past it the command fails (and `onUnavailable` applies).
    public var timeout: Duration = .milliseconds(250)
    public var onUnavailable = UnavailablePolicy.failOpen
    /// How long a replica trusts a key it looked up: the bound on how late a revocation is seen.
    public var keyCache: Duration = .seconds(2)

    public init(address: Address) { self.address = address }
}
