import SwitchyardConfig
import SwitchyardCore
import SwitchyardPosix
import SwitchyardRedis
import Synchronization

/// The keys replicas share through Redis (`redis:` configured; docs/governance.md#redis-replicas):
/// every replica holds a copy of all of them in memory, refreshed from Redis every half
/// `redis.key_cache`, so a key created, changed or revoked on one replica is seen by every other
/// within `key_cache`, while the request path stays a dictionary lookup (no Redis round trip per
/// request, and a flood of unknown keys costs Redis nothing).
///
/// In Redis: `sy:keys` (HASH key id → `SharedKeyRecord` JSON) and `sy:keys:version` (a counter
/// every change increments, in the same script). A refresh reads the counter and, only when it
/// moved, the whole hash. Past `key_cache` without a successful refresh (Redis down) the copy is
/// no longer trusted: `fail_open` answers from this replica's own store (`KeyRegistry`'s
/// maps), `fail_closed` refuses with 503 `governance_unavailable`.
///
/// Threading: refreshes run on one loop (`start(on:)`); `publish`/`unpublish` on the admin
/// request's loop; lookups on every loop. The copy is behind one mutex, held for a dictionary
/// operation or to swap the maps.
final class SharedKeys: Sendable {
    static let recordsKey = "sy:keys"
    static let versionKey = "sy:keys:version"

    private struct Copy {
        var byHash: [String: VirtualKey] = [:]
        var byID: [String: VirtualKey] = [:]
        /// `sy:keys:version` when the maps were read; nil before the first read.
        var version: Int64?
        /// When Redis last confirmed the copy (monotonic ns); 0 = never.
        var confirmedAt: UInt64 = 0
        /// How many changes this replica published (a refresh that read before one of them
        /// must not replace the copy that already holds it).
        var changes = 0
    }

    let client: RedisClient
    let policy: RedisConfig.UnavailablePolicy
    /// `redis.key_cache` in nanoseconds: how long the copy is trusted after Redis last confirmed it.
    let trust: UInt64
    private let copy = Mutex(Copy())
    /// The registry whose store mirrors the shared keys (set once at start, `follow`).
    private let registry = Mutex<KeyRegistry?>(nil)

    let log: GatewayLog

    init(client: RedisClient, config: RedisConfig, log: GatewayLog) {
        self.client = client
        self.log = log
        self.policy = config.onUnavailable
        self.trust = config.keyCache.nanoseconds
    }

    /// The registry to mirror shared changes into and to republish from.
    func follow(_ registry: KeyRegistry) {
        self.registry.withLock { $0 = registry }
    }

    /// Starts the refreshes on `loop` (the first at once, then every half `key_cache`, at least
    /// every 100 ms apart); they end with the loop.
    func start(on loop: EventLoop) {
        loop.execute { [self] in refresh(on: loop) }
    }

    private func refresh(on loop: EventLoop) {
        let (known, changes) = copy.withLock { ($0.version, $0.changes) }
        // Trust runs from when the question was sent: a change Redis took after that is at most
        // `key_cache` old when the copy stops being trusted.
        let asked = monotonicNanoseconds()
        client.command(["GET", Self.versionKey], on: loop) { [self] result in
            guard case .success(let reply) = result, !reply.isError else { return scheduleNext(on: loop, failed: true) }
            guard let version = reply.integer else { return republish(on: loop) }
            if known == version {
                copy.withLock { $0.confirmedAt = asked }
                return scheduleNext(on: loop)
            }
            client.command(["HGETALL", Self.recordsKey], on: loop) { [self] result in
                guard case .success(.array(let items)) = result else { return scheduleNext(on: loop, failed: true) }
                var fresh = Copy(version: version, confirmedAt: asked)
                var index = 1
                while index < items.count {
                    if case .bulk(let bytes) = items[index], let key = SharedKeyRecord.decode(bytes) {
                        fresh.byHash[key.hash] = key
                        fresh.byID[key.id] = key
                    }
                    index += 2
                }
                let previous = copy.withLock { copy -> Copy? in
                    // A change this replica published after the read began may be newer than
                    // what was read: keep the copy (the next refresh reads again).
                    if copy.changes != changes { return nil }
                    fresh.changes = changes
                    let previous = copy
                    copy = fresh
                    return previous
                }
                if let previous {
                    if previous.version == nil {
                        log.info("keys: shared through redis", fields: [("keys", String(fresh.byID.count)), ("key_cache", "\(trust / 1_000_000)ms")])
                    }
                    mirror(from: previous, to: fresh, on: loop)
                }
                scheduleNext(on: loop)
            }
        }
    }

    /// Writes what changed in Redis into this replica's store (`KeyRegistry.mirror`), so that
    /// while Redis is down (`fail_open`) every replica answers with the keys as they last were,
    /// wherever they were made. Removals only against a copy read before (a key only this store
    /// has at start stays: it may predate `redis:`).
    private func mirror(from previous: Copy, to fresh: Copy, on loop: EventLoop) {
        guard let registry = registry.withLock({ $0 }) else { return }
        let changed = fresh.byID.values.filter { previous.byID[$0.id] != $0 }
        let removed = previous.version == nil ? [] : previous.byID.values.filter { fresh.byID[$0.id] == nil }
        guard !changed.isEmpty || !removed.isEmpty else { return }
        registry.mirror(changed: changed, removed: removed, on: loop)
    }

    /// Redis has no keys at all (new, restarted without persistence, flushed): this replica
    /// publishes the keys of its store that Redis lacks (HSETNX: what another replica wrote
    /// first stays), then reads them all back.
    private func republish(on loop: EventLoop) {
        let own = registry.withLock { $0 }?.ownKeys() ?? []
        // A new series of versions starts at a random number: a replica that read version n
        // before Redis lost its data must not take the new n for the state it knows.
        var generator = SystemRandomNumberGenerator()
        var arguments = [String(generator.next(upperBound: UInt64(1) << 50))]
        for key in own { arguments += [key.id, String(decoding: SharedKeyRecord.encode(key), as: UTF8.self)] }
        client.evaluate(Self.putMissing, keys: [Self.recordsKey, Self.versionKey], arguments: arguments, on: loop) { [self] result in
            if case .success(.integer) = result {
                if !own.isEmpty { log.info("keys: redis had none; published this replica's", fields: [("keys", String(own.count))]) }
                refresh(on: loop)
            } else {
                scheduleNext(on: loop, failed: true)
            }
        }
    }

    /// Every half `key_cache` (at least 100 ms apart); after a failure sooner (250 ms at most),
    /// so the copy is trusted again soon after Redis is back.
    private func scheduleNext(on loop: EventLoop, failed: Bool = false) {
        let interval = max(100_000_000, trust / 2)
        _ = loop.schedule(after: failed ? min(interval, 250_000_000) : interval) { [self] in refresh(on: loop) }
    }

    /// True while the copy is within `key_cache` of Redis's last confirmation.
    var isTrusted: Bool {
        let confirmed = copy.withLock { $0.confirmedAt }
        return confirmed != 0 && monotonicNanoseconds() &- confirmed <= trust
    }

    /// The key by its hash from the shared copy; when the copy is stale, `local` (fail_open) or
    /// a 503 (fail_closed).
    func key(hash: String, local: () -> VirtualKey?) throws(GatewayError) -> VirtualKey? {
        if isTrusted { return copy.withLock { $0.byHash[hash] } }
        guard policy == .failOpen else { throw Self.unavailable }
        return local()
    }

    /// The shared copy's keys when trusted; nil otherwise (the caller answers from its store).
    func trustedKeys() -> [VirtualKey]? {
        guard isTrusted else { return nil }
        return copy.withLock { Array($0.byID.values) }
    }

    func key(id: String) -> VirtualKey?? {
        guard isTrusted else { return nil }
        return .some(copy.withLock { $0.byID[id] })
    }

    /// Writes `key` to Redis (over the record with its id; a rotated key's old hash goes with
    /// it) and into this replica's copy; `then` on `loop` with nil or what Redis answered.
    func publish(_ key: VirtualKey, on loop: EventLoop, then: @escaping (String?) -> Void) {
        client.evaluate(Self.put, keys: [Self.recordsKey, Self.versionKey], arguments: [key.id, String(decoding: SharedKeyRecord.encode(key), as: UTF8.self)],
                        on: loop) { [self] result in
            if let failure = Self.failure(result) { return then(failure) }
            copy.withLock { copy in
                copy.changes += 1
                if let current = copy.byID[key.id] { copy.byHash.removeValue(forKey: current.hash) }
                copy.byHash[key.hash] = key
                copy.byID[key.id] = key
            }
            then(nil)
        }
    }

    /// Removes the key with `id` from Redis and this replica's copy.
    func unpublish(id: String, on loop: EventLoop, then: @escaping (String?) -> Void) {
        client.evaluate(Self.remove, keys: [Self.recordsKey, Self.versionKey], arguments: [id], on: loop) { [self] result in
            if let failure = Self.failure(result) { return then(failure) }
            copy.withLock { copy in
                copy.changes += 1
                if let current = copy.byID.removeValue(forKey: id) { copy.byHash.removeValue(forKey: current.hash) }
            }
            then(nil)
        }
    }

    private static func failure(_ result: Result<RedisReply, RedisFailure>) -> String? {
        switch result {
        case .success(.error(let message)): message
        case .success: nil
        case .failure(let failure): failure.description
        }
    }

    /// A change to a Redis that lost its keys (no version) is refused: the replicas put theirs
    /// back first (`putMissing`), and the change is repeated then.
    private static let put = RedisScript("""
        if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('the shared keys are being restored; repeat the change') end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return redis.call('INCR', KEYS[2])
        """)
    private static let putMissing = RedisScript("""
        if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], ARGV[1]) end
        for i = 2, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
        return redis.call('INCR', KEYS[2])
        """)
    private static let remove = RedisScript("""
        if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('the shared keys are being restored; repeat the change') end
        redis.call('HDEL', KEYS[1], ARGV[1])
        return redis.call('INCR', KEYS[2])
        """)

    static let unavailable: GatewayError = {
        var error = GatewayError(status: 503, type: "service_unavailable", code: "governance_unavailable",
                                 message: "API keys cannot be checked right now (their shared store, Redis, does not answer); retry shortly.")
        error.retryAfter = 1
        return error
    }()
}
