import SwitchyardCore

/// `rate_limits:`: requests per minute, tokens per minute and concurrency per key, user, team
/// and model as requested (docs/governance.md#rate-limits). A key's own limits (admin API) win
/// over `keys`; a name without an entry takes the kind's `default` entry, when there is one.
public struct RateLimitsConfig: Sendable, Equatable {
    public var keys: ScopedSettings<RateLimitSettings>
    public var users: ScopedSettings<RateLimitSettings>
    public var teams: ScopedSettings<RateLimitSettings>
    public var models: ScopedSettings<RateLimitSettings>

    public init(keys: ScopedSettings<RateLimitSettings> = ScopedSettings(), users: ScopedSettings<RateLimitSettings> = ScopedSettings(),
                teams: ScopedSettings<RateLimitSettings> = ScopedSettings(), models: ScopedSettings<RateLimitSettings> = ScopedSettings()) {
        self.keys = keys
        self.users = users
        self.teams = teams
        self.models = models
    }

    public var isEmpty: Bool { keys.isEmpty && users.isEmpty && teams.isEmpty && models.isEmpty }
}
