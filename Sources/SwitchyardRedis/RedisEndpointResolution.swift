#if canImport(Glibc)
import Glibc
#endif

/// Turns a host name into an address once, off the loops: hiredis resolves with a blocking
/// getaddrinfo, which must never run on an event loop. An address stays as it is. A name that
/// does not resolve is kept (every connection attempt then fails, and says why).
enum RedisEndpointResolution {
    static func resolve(_ endpoint: RedisSettings.Endpoint) -> RedisSettings.Endpoint {
        guard case .tcp(let host, let port) = endpoint, !isAddress(host) else { return endpoint }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &found) == 0, let first = found else { return endpoint }
        defer { freeaddrinfo(found) }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return endpoint
        }
        return .tcp(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: port)
    }

    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
