import SwitchyardConfig
import SwitchyardRedis

extension RedisSettings {
    /// The client's settings from the `redis:` section.
    init(_ config: RedisConfig) {
        let endpoint: RedisSettings.Endpoint = switch config.address {
        case .tcp(let host, let port): .tcp(host: host, port: port)
        case .unix(let path): .unix(path: path)
        }
        let timeout = config.timeout.components
        self.init(endpoint: endpoint, password: config.password, database: config.database,
                  timeoutNanoseconds: UInt64(timeout.seconds) * 1_000_000_000 + UInt64(timeout.attoseconds / 1_000_000_000))
    }
}
