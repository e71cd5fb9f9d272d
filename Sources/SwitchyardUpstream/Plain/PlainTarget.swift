import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Where a plain `http://` request goes: a socket address that needs no name resolution, the
/// `Host` field and the request target. Only literal IPv4/IPv6 addresses and `localhost`
/// qualify (see docs/decisions/0005-plain-http-upstream-client.md); anything else — TLS, names
/// that need DNS, user info, proxies from the environment — stays with libcurl.
struct PlainTarget {
    /// "host:port", the connection pool's key.
    let origin: String
    let hostField: String
    /// Path and query as sent on the request line.
    let requestTarget: String
    let family: Int32
    private let address: sockaddr_storage
    private let addressLength: socklen_t

    /// nil when the URL is not a plain-HTTP URL with a literal address (the caller uses libcurl).
    init?(url: String) {
        var rest = Substring(url)
        guard rest.count > 7, rest.prefix(7).lowercased() == "http://" else { return nil }
        rest = rest.dropFirst(7)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let target = rest[authorityEnd...]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }

        var host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        var port = 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, let value = Int(portText), (1...65535).contains(value) else { return nil }
            port = value
        }
        if host.lowercased() == "localhost" { host = "127.0.0.1" }

        var storage = sockaddr_storage()
        var length: socklen_t = 0
        var family: Int32 = 0
        let parsed: Bool = withUnsafeMutableBytes(of: &storage) { raw in
            let text = String(host)
            if text.contains(":") {
                let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                v6.pointee.sin6_family = sa_family_t(AF_INET6)
                v6.pointee.sin6_port = UInt16(port).bigEndian
                length = socklen_t(MemoryLayout<sockaddr_in6>.size)
                family = AF_INET6
                return inet_pton(AF_INET6, text, &v6.pointee.sin6_addr) == 1
            }
            let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            v4.pointee.sin_family = sa_family_t(AF_INET)
            v4.pointee.sin_port = UInt16(port).bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
            // inet_pton refuses the short forms ("127.1") that inet_aton would accept: good.
            return inet_pton(AF_INET, text, &v4.pointee.sin_addr) == 1
        }
        guard parsed else { return nil }
        address = storage
        addressLength = length
        self.family = family
        origin = "\(host):\(port)"
        hostField = String(authority)
        requestTarget = target.isEmpty ? "/" : (target.first == "?" ? "/" + target : String(target))
    }

    /// Starts a non-blocking connect; 0, or the errno (EINPROGRESS while it completes).
    func connect(_ fd: Int32) -> Int32 {
        var address = address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, addressLength) }
        }
        return result == 0 ? 0 : errno
    }
}
