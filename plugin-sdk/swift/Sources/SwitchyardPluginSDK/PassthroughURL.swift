/// Where a provider's passthrough requests go (`/p/{provider}{path}`).
///
/// The client's path is written as the provider's own docs write it, API version included
/// (`/v1/chat/completions`, `/v1/messages`, `/v1beta/models/m:generateContent`), so that an SDK
/// pointed at `<gateway>/p/{provider}` works unchanged. Configured base URLs, on the other hand,
/// end in that version (`https://api.openai.com/v1`, `https://openrouter.ai/api/v1`,
/// `https://generativelanguage.googleapis.com/v1beta`), because the translated path appends
/// `/chat/completions` to them. So the join drops the base's last path segment when it is one of
/// the provider's version names, and appends the path as the client sent it:
///
///     https://api.openai.com/v1     + /v1/chat/completions  -> https://api.openai.com/v1/chat/completions
///     https://openrouter.ai/api/v1  + /v1/models            -> https://openrouter.ai/api/v1/models
///     http://127.0.0.1:8000         + /v1/models?limit=2    -> http://127.0.0.1:8000/v1/models?limit=2
///
/// The query is kept byte for byte. Built once per instance (the prefix is computed at config
/// time); `url(_:)` is one check over the path and one concatenation. Immutable, Sendable.
public struct PassthroughURL: Sendable {
    /// The base URL without its version segment and without a trailing slash.
    public let prefix: String

    /// `base` as `ProviderConfig.baseURL` returns it (http(s), no trailing slash); `versions` are
    /// the last path segments that name an API version in this provider's base URLs.
    public init(base: String, versions: [String]) {
        var bytes = Array(base.utf8)
        while bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        // Only a segment of the path counts: in "https://v1" it is the host.
        var authorityStart = 0
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[(colon + 1)...].starts(with: "//".utf8) { authorityStart = colon + 3 }
        if let pathStart = bytes[authorityStart...].firstIndex(of: UInt8(ascii: "/")),
           let lastSlash = bytes[pathStart...].lastIndex(of: UInt8(ascii: "/")),
           versions.contains(where: { bytes[(lastSlash + 1)...].elementsEqual($0.utf8) }) {
            bytes.removeSubrange(lastSlash...)
        }
        prefix = String(decoding: bytes, as: UTF8.self)
    }

    /// `prefix` + `path`. Throws `PluginError.invalid` (400) for a path that does not start with
    /// '/', carries a byte a request target cannot (controls, space, non-ASCII) or a fragment, or
    /// has a dot segment (`.`, `..`, also percent-encoded) before its query: the host's HTTP client
    /// would resolve one, so `/v1/chat/../files` would reach a path other than the one the gateway's
    /// allow and deny lists saw.
    public func url(_ path: String) throws(PluginError) -> String {
        try Self.check(path)
        return prefix + path
    }

    static func check(_ path: String) throws(PluginError) {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { throw .invalid("passthrough path \"\(path)\" does not start with /") }
        var segmentStart = bytes.startIndex
        var inQuery = false
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "#") else {
                throw .invalid("passthrough path has a byte a request target cannot carry (0x\(String(byte, radix: 16)))")
            }
            guard !inQuery else { continue }
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") {
                if index > segmentStart, isDotSegment(bytes[bytes.index(after: segmentStart)..<index]) {
                    throw .invalid("passthrough path \"\(path)\" has a dot segment")
                }
                segmentStart = index
                inQuery = byte == UInt8(ascii: "?")
            }
        }
        if !inQuery, isDotSegment(bytes[bytes.index(after: segmentStart)...]) {
            throw .invalid("passthrough path \"\(path)\" has a dot segment")
        }
    }

    /// "." or "..", each dot possibly written "%2e" / "%2E" (RFC 3986 section 6.2.2.3).
    private static func isDotSegment(_ segment: Substring.UTF8View) -> Bool {
        var dots = 0
        var index = segment.startIndex
        while index < segment.endIndex {
            if segment[index] == UInt8(ascii: ".") {
                index = segment.index(after: index)
            } else if segment[index] == UInt8(ascii: "%"), segment.distance(from: index, to: segment.endIndex) >= 3,
                      segment[segment.index(index, offsetBy: 1)] == UInt8(ascii: "2"),
                      segment[segment.index(index, offsetBy: 2)] | 0x20 == UInt8(ascii: "e") {
                index = segment.index(index, offsetBy: 3)
            } else {
                return false
            }
            dots += 1
        }
        return dots == 1 || dots == 2
    }
}
