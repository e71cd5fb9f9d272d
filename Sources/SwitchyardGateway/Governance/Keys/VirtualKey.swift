import SwitchyardCore
import SwitchyardJSON

/// One virtual key as the gateway holds it (the `virtual_keys` row): never the secret, only its
/// SHA-256 (`hash`) and `prefix`. A value: the registry replaces records (one change of a key
/// at a time, `KeyTurns`), never edits them in place.
struct VirtualKey: Sendable, Equatable {
    var id: String
    var hash: String
    var prefix: String
    var name: String?
    var user: String?
    var team: String?
    /// Model names or aliases the key may ask for (KeyAccess); nil = all.
    var models: [String]?
    /// Path prefixes the key may call; nil = all.
    var routes: [String]?
    var metadata: JSONObject?
    var budget: SpendLimit?
    var limits: RateLimitSettings?
    /// Unix seconds; nil = never.
    var expiresAt: Int64?
    var disabled: Bool
    var createdAt: Int64
    var updatedAt: Int64
    var rotatedAt: Int64?

    /// Who the key speaks for, as the plan carries it.
    var caller: Caller {
        Caller(keyID: id, keyPrefix: prefix, user: user, team: team, budget: budget, limits: limits.flatMap { $0.isEmpty ? nil : $0 })
    }

    func isExpired(now: Int64) -> Bool { expiresAt.map { $0 <= now } ?? false }
}
