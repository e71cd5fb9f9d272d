/// The `keys:` section (docs/governance.md, decision 0024): whether client routes need a
/// virtual key (or the master key). Off by default: an open gateway, said at start-up.
/// The keys themselves live in the store (`virtual_keys`), made through `/admin/keys`.
public struct KeysConfig: Sendable, Hashable {
    /// True: every client route answers 401 without a valid key; `/health` and `/metrics` stay open.
    public var required: Bool

    public init(required: Bool = false) {
        self.required = required
    }
}
