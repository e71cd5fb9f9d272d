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
/// The query is kept byte for byte, except the parameters named in `credentialParameters` (e.g.
/// Gemini's `key`): a client's credential never reaches the upstream, which gets the provider's
/// own. Built once per instance (the prefix is computed at config
/// time); `url(_:)` is one check over the path and one concatenation. Immutable, Sendable.
public struct PassthroughURL: Sendable {
    /// The base URL without its version segment and without a trailing slash.
    public let prefix: String
    /// Query parameters dropped from the client's query (compared after percent-decoding).
    public let credentialParameters: [String]

    /// `base` as `ProviderConfig.baseURL` returns it (http(s), no trailing slash); `versions` are
    /// the last path segments that name an API version in this provider's base URLs.
    public init(base: String, versions: [String], credentialParameters: [String] = []) {
        self.credentialParameters = credentialParameters
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
        guard !credentialParameters.isEmpty, let question = path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return prefix + path }
        return prefix + withoutCredentials(path[..<question], query: path[path.utf8.index(after: question)...])
    }

    /// `path` and the query without the credential parameters, the others as written and in order.
    private func withoutCredentials(_ path: Substring, query: Substring) -> String {
        var kept: [Substring] = []
        for parameter in query.split(separator: "&", omittingEmptySubsequences: false) {
            let name = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? parameter
            if !credentialParameters.contains(Self.percentDecoded(name)) { kept.append(parameter) }
        }
        return kept.isEmpty ? String(path) : path + "?" + kept.joined(separator: "&")
    }

    private static func percentDecoded(_ text: Substring) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        let bytes = Array(text.utf8)
        var decoded: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
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
