/// `providers[].passthrough`: whether `/p/{provider}/…` forwards to this provider, and which of
/// its paths. A path is allowed when it starts with one of `allow` (or `allow` is empty) and with
/// none of `deny`; prefixes are compared byte for byte against the path without its query.
public struct PassthroughPolicy: Sendable, Hashable {
    public var allow: [String]
    public var deny: [String]

    public init(allow: [String] = [], deny: [String] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Why `path` is refused, or nil when it is allowed.
    public func refusal(of path: String) -> String? {
        if let prefix = deny.first(where: { path.hasPrefix($0) }) { return "it is under \"\(prefix)\", which passthrough.deny lists" }
        if !allow.isEmpty, !allow.contains(where: { path.hasPrefix($0) }) {
            return "passthrough.allow lists only \(allow.map { "\"\($0)\"" }.joined(separator: ", "))"
        }
        return nil
    }
}
