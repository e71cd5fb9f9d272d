import SwitchyardCore
import SwitchyardStore

/// Whose files, batches and stored responses a request may reach (docs/governance.md,
/// "Ownership"): a virtual key only those it created (their `key_id`); the master key, an open
/// gateway (no caller) and the gateway's own plugins (no caller either) every one. A resource of
/// another key is answered exactly like an unknown id, so ids reveal nothing about other keys.
///
/// A value: built on the request's loop from its caller, carried into store jobs as is.
struct OwnerFilter: Sendable, Equatable {
    /// The key whose resources alone are visible; nil = every resource.
    let keyID: String?

    static let everyone = OwnerFilter(keyID: nil)

    init(keyID: String?) { self.keyID = keyID }

    init(_ caller: Caller?) {
        guard let caller, !caller.isMaster else {
            keyID = nil
            return
        }
        keyID = caller.keyID
    }

    /// True when a resource recorded with `owner` (its `key_id`) is visible.
    func admits(_ owner: String?) -> Bool { keyID == nil || owner == keyID }

    /// The SQL condition on a `key_id` column and its value; nil when every row is visible.
    func condition(column: String = "key_id") -> (sql: String, value: SQLValue)? {
        keyID.map { ("\(column) = ?", .text($0)) }
    }
}
