import SwitchyardCore
import SwitchyardPosix
import SwitchyardStore
import Synchronization

/// Every virtual key of the store, in memory: by the SHA-256 of its secret (the request path)
/// and by id (the admin API). Process-level (in `GatewayProcess`): it outlives reloads.
///
/// Loaded once at start (`load`, on the starting thread). Changes go to the store off the loop
/// (`store.write(onLoop:)`) and reach the maps only once the write committed, so these maps
/// never hold what the store does not. Changes of one key take turns (`KeyTurns`): each is
/// applied to the record its predecessor committed, and store, memory and Redis see them in
/// the same order. Threading: every method is thread-safe (one mutex, held
/// for a dictionary operation); completions run on the loop named.
///
/// With `redis:` (`shared`), the replicas' shared keys answer first (`SharedKeys`, trusted for
/// `redis.key_cache`), and every change is written to Redis first, then to this store, before it
/// is answered (one Redis refuses changes nothing; one the store then refuses is in force on
/// every replica and mirrored into this store at the next refresh); these maps remain this
/// replica's own keys, what answers while Redis is down (`fail_open`).
final class KeyRegistry: KeyDirectory {
    private struct Maps {
        var byHash: [String: VirtualKey] = [:]
        var byID: [String: VirtualKey] = [:]
    }

    private let maps: Mutex<Maps>
    let store: Store
    /// The keys shared through Redis; nil without `redis:` (then these maps are all there is).
    let shared: SharedKeys?
    /// Changes of one key take turns: each reads what the previous committed.
    private let turns = KeyTurns()

    init(store: Store, keys: [VirtualKey], shared: SharedKeys? = nil) {
        self.store = store
        self.shared = shared
        var maps = Maps()
        for key in keys {
            maps.byHash[key.hash] = key
            maps.byID[key.id] = key
        }
        self.maps = Mutex(maps)
        shared?.follow(self)
    }

    /// Every key of `store`; blocks the calling thread (start-up only, never a loop).
    static func load(store: Store, shared: SharedKeys? = nil) throws(StoreError) -> KeyRegistry {
        KeyRegistry(store: store, keys: try store.readWaiting { db throws(StoreError) in try KeyRecords.all(db) }, shared: shared)
    }

    func key(hash: String) throws(GatewayError) -> VirtualKey? {
        guard let shared else { return maps.withLock { $0.byHash[hash] } }
        return try shared.key(hash: hash) { maps.withLock { $0.byHash[hash] } }
    }

    /// The admin API's: the shared keys while trusted, else this replica's own.
    func key(id: String) -> VirtualKey? {
        if let found = shared?.key(id: id) { return found }
        return maps.withLock { $0.byID[id] }
    }

    /// Keys oldest first, optionally only a user's and/or a team's (the shared keys while
    /// trusted, else this replica's own).
    func list(user: String? = nil, team: String? = nil) -> [VirtualKey] {
        (shared?.trustedKeys() ?? maps.withLock { Array($0.byID.values) })
            .filter { key in (user == nil || key.user == user) && (team == nil || key.team == team) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Keys neither disabled nor expired at `now` (Unix seconds).
    func activeCount(now: Int64) -> Int {
        maps.withLock { $0.byID.values.count { !$0.disabled && !$0.isExpired(now: now) } }
    }

    /// Shares a new key (with `redis:`), stores it, then serves it.
    func create(_ key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<VirtualKey, GatewayError>) -> Void) {
        shareFirst(key, on: loop) { [self] refused in
            if let refused { return completion(.failure(refused)) }
            store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.insert(key, db) }) { [self] result in
                if case .failure(let error) = result, !sharedTookIt(error) { return completion(.failure(Self.storeFailed(error))) }
                install(key, replacing: nil)
                completion(.success(key))
            }
        }
    }

    /// Changes the key with `id`: `edit` runs against the record as the key's previous change
    /// committed it (changes of one key take turns, `KeyTurns`), so it changes only its own
    /// fields; then the record is stored and served (a rotated secret's old hash stops working at
    /// once; on other replicas within `redis.key_cache`), and shared with `redis:`. `edit` runs on
    /// `loop`; its error is the answer. With `redis:` the key may come from another replica: its
    /// row is written here whether or not this store had it.
    func change(id: String, on loop: EventLoop, _ edit: @escaping (inout VirtualKey) throws(GatewayError) -> Void,
                then completion: @escaping (Result<VirtualKey, GatewayError>) -> Void) {
        let upsert = shared != nil
        let started = turns.take(id, on: loop) { [self] done in
            guard let previous = key(id: id) else { done(); return completion(.failure(Self.notFound(id))) }
            var changed = previous
            do throws(GatewayError) { try edit(&changed) } catch { done(); return completion(.failure(error)) }
            let key = changed
            shareFirst(key, on: loop) { [self] refused in
                if let refused { done(); return completion(.failure(refused)) }
                store.write(onLoop: loop, { db throws(StoreError) in
                    if upsert { try KeyRecords.upsert(key, db) } else { try KeyRecords.update(key, db) }
                }) { [self] result in
                    // The next change of this key starts at `done`: after memory has this one.
                    if case .failure(let error) = result, !sharedTookIt(error) { done(); return completion(.failure(Self.storeFailed(error))) }
                    install(key, replacing: previous)
                    done()
                    completion(.success(key))
                }
            }
        }
        if !started { completion(.failure(KeyTurns.busy(id))) }
    }

    /// Deletes the key with `id`, in its turn after the changes before it (`KeyTurns`).
    func delete(id: String, on loop: EventLoop, then completion: @escaping (Result<Void, GatewayError>) -> Void) {
        let started = turns.take(id, on: loop) { [self] done in
            guard key(id: id) != nil else { done(); return completion(.failure(Self.notFound(id))) }
            unshareFirst(id: id, on: loop) { [self] refused in
                if let refused { done(); return completion(.failure(refused)) }
                store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.delete(id: id, db) }) { [self] result in
                    if case .failure(let error) = result, !sharedTookIt(error) { done(); return completion(.failure(Self.storeFailed(error))) }
                    maps.withLock { maps in
                        if let current = maps.byID.removeValue(forKey: id) { maps.byHash.removeValue(forKey: current.hash) }
                    }
                    done()
                    completion(.success(()))
                }
            }
        }
        if !started { completion(.failure(KeyTurns.busy(id))) }
    }

    static func notFound(_ id: String) -> GatewayError {
        GatewayError(status: 404, type: "invalid_request_error", code: "key_not_found", message: "No virtual key with id '\(id)'.")
    }

    /// This replica's own keys (its store's), whatever the shared copy holds.
    func ownKeys() -> [VirtualKey] { maps.withLock { Array($0.byID.values) } }

    /// Writes changes other replicas made (read from Redis by `SharedKeys`) into this store,
    /// then into the own maps, so that they answer for those keys too while Redis is down.
    /// A failed write is left to the next change (the shared copy still answers meanwhile).
    func mirror(changed: [VirtualKey], removed: [VirtualKey], on loop: EventLoop) {
        store.write(onLoop: loop, { db throws(StoreError) in
            for key in changed { try KeyRecords.upsert(key, db) }
            for key in removed { try KeyRecords.delete(id: key.id, db) }
        }) { [self] result in
            guard case .success = result else { return }
            for key in changed { install(key, replacing: nil) }
            maps.withLock { maps in
                for key in removed {
                    if let current = maps.byID.removeValue(forKey: key.id) { maps.byHash.removeValue(forKey: current.hash) }
                }
            }
        }
    }

    /// With `redis:`, a change goes to Redis, the replicas' shared copy, before this store: one
    /// Redis refuses changes nothing anywhere (a repeated create makes no second key). A store
    /// write that fails after Redis took the change is answered as a failure; this replica
    /// mirrors the shared change at its next refresh.
    private func shareFirst(_ key: VirtualKey, on loop: EventLoop, then: @escaping (GatewayError?) -> Void) {
        guard let shared else { return then(nil) }
        shared.publish(key, on: loop) { failure in then(failure.map(Self.notShared)) }
    }

    /// A store write failed after Redis took the change: every replica serves it already (a
    /// rotated secret's old hash is dead everywhere), so it is answered as done, and this store
    /// catches up at the next refresh's mirror.
    private func sharedTookIt(_ error: StoreError) -> Bool { shared != nil }

    private func unshareFirst(id: String, on loop: EventLoop, then: @escaping (GatewayError?) -> Void) {
        guard let shared else { return then(nil) }
        shared.unpublish(id: id, on: loop) { failure in then(failure.map(Self.notShared)) }
    }

    /// Nothing changed: the store refused the write (the registry was left as it was).
    static func storeFailed(_ error: StoreError) -> GatewayError {
        GatewayError.unavailable("The key was not changed: the store refused the write (\(error.message)).")
    }

    /// Redis refused the change: nothing changed, on any replica.
    static func notShared(_ reason: String) -> GatewayError {
        GatewayError.unavailable("The key was not changed: the replicas' shared store, Redis, did not take the change (\(reason)). Repeat it once Redis answers.")
    }

    private func install(_ key: VirtualKey, replacing previous: VirtualKey?) {
        maps.withLock { maps in
            if let current = maps.byID[key.id] { maps.byHash.removeValue(forKey: current.hash) }
            if let previous { maps.byHash.removeValue(forKey: previous.hash) }
            maps.byHash[key.hash] = key
            maps.byID[key.id] = key
        }
    }
}
