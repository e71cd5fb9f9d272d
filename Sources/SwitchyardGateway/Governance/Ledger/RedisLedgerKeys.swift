import SwitchyardCore

/// The Redis key layout of the shared ledger (docs/governance.md#redis-replicas), all under
/// `sy:`. `<scope>` is `LedgerScope.id` (`key:key_abc`, `user:alice`, `team:research`,
/// `model:gpt-4o`), `<minute>` the Unix minute, `<window>` the budget period's start (Unix
/// seconds; 0 for `total`):
///
/// - `sy:conc:<scope>`                      ZSET lease → expiry (Unix ms): requests in flight
/// - `sy:rpm:<scope>:<minute>`              requests counted in that minute (expires after 120 s)
/// - `sy:tpm:<scope>:<minute>`              tokens counted in that minute (expires after 120 s)
/// - `sy:spent:<scope>:<period>:<window>`   micros spent in the window
/// - `sy:resv:<scope>:<period>:<window>`    micros reserved by requests in flight (the sum)
/// - `sy:resv:leases:<scope>:<period>:<window>`  ZSET lease → expiry (Unix ms)
/// - `sy:resv:amounts:<scope>:<period>:<window>` HASH lease → micros reserved
/// - `sy:settled:<lease>`                   set by the first settlement of a lease (a retried
///                                          settlement changes nothing twice)
/// - `sy:key:<hash>`                        a virtual key's record (the keys' registry)
enum RedisLedgerKeys {
    static let prefix = "sy:"

    static func concurrency(_ scope: String) -> String { "sy:conc:\(scope)" }
    static func requests(_ scope: String, minute: Int64) -> String { "sy:rpm:\(scope):\(minute)" }
    static func tokens(_ scope: String, minute: Int64) -> String { "sy:tpm:\(scope):\(minute)" }

    static func spent(_ scope: String, _ period: BudgetPeriod, window: Int64) -> String { "sy:spent:\(scope):\(period.rawValue):\(window)" }
    static func reserved(_ scope: String, _ period: BudgetPeriod, window: Int64) -> String { "sy:resv:\(scope):\(period.rawValue):\(window)" }
    static func reservationLeases(_ scope: String, _ period: BudgetPeriod, window: Int64) -> String {
        "sy:resv:leases:\(scope):\(period.rawValue):\(window)"
    }
    static func reservationAmounts(_ scope: String, _ period: BudgetPeriod, window: Int64) -> String {
        "sy:resv:amounts:\(scope):\(period.rawValue):\(window)"
    }

    static func settled(_ lease: String) -> String { "sy:settled:\(lease)" }

    /// A virtual key's record, by the hash of its secret (the registry's lookups).
    static func virtualKey(hash: String) -> String { "sy:key:\(hash)" }

    /// How long a budget window's keys outlive the window: the admin API reads yesterday's and
    /// last month's spend for a week after.
    static let windowKeepSeconds: Int64 = 7 * 86_400
}
