/// `providers[].passthrough`: whether `/p/{provider}/…` forwards to this provider, and which of
/// its paths. A path is allowed when it starts with one of `allow` (or `allow` is empty) and with
/// none of `deny`; prefixes are compared against the path without its query, ignoring ASCII case
/// (some upstreams route `/V1/Files` as `/v1/files`; a prefix that mattered only in one case
/// would be a way around it).
public struct PassthroughPolicy: Sendable, Hashable {
    public var allow: [String]
    public var deny: [String]

    public init(allow: [String] = [], deny: [String] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Why `path` is refused, or nil when it is allowed.
    public func refusal(of path: String) -> String? {
        if let prefix = deny.first(where: { Self.hasPrefix(path, $0) }) { return "it is under \"\(prefix)\", which passthrough.deny lists" }
        if !allow.isEmpty, !allow.contains(where: { Self.hasPrefix(path, $0) }) {
            return "passthrough.allow lists only \(allow.map { "\"\($0)\"" }.joined(separator: ", "))"
        }
        return nil
    }

    private static func hasPrefix(_ path: String, _ prefix: String) -> Bool {
        var remaining = path.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let byte = remaining.next(), lower(byte) == lower(expected) else { return false }
        }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
