#if canImport(Glibc)
import Glibc
#endif

/// Turns a host name into a numeric address with getaddrinfo. hiredis would resolve a name with
/// a blocking getaddrinfo inside `redisAsyncConnect`, on the event loop: it is only ever given
/// what this returns (an address or a unix path). Call it off the loops (at start, or on the
/// resolver's background thread).
enum RedisEndpointResolution {
    /// The endpoint with its host as a numeric address, or why the name does not resolve. An
    /// address or a unix path comes back as it is.
    static func resolve(_ endpoint: RedisSettings.Endpoint) -> Result<RedisSettings.Endpoint, RedisResolutionFailure> {
        guard case .tcp(let host, let port) = endpoint, !isAddress(host) else { return .success(endpoint) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &found)
        guard rc == 0, let first = found else {
            return .failure(RedisResolutionFailure(message: "\(host) does not resolve: \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(found) }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return .failure(RedisResolutionFailure(message: "\(host) resolves to an address that cannot be written out"))
        }
        return .success(.tcp(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: port))
    }

    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

struct RedisResolutionFailure: Error, Sendable {
    let message: String
}
