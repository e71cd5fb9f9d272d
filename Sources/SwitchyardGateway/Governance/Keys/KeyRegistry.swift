import SwitchyardCore
import SwitchyardPosix
import SwitchyardStore
import Synchronization

/// Every virtual key of the store, in memory: by the SHA-256 of its secret (the request path)
/// and by id (the admin API). Process-level (in `GatewayProcess`): it outlives reloads.
///
/// Loaded once at start (`load`, on the starting thread). Changes go to the store first, off the
/// loop (`store.write(onLoop:)`), and reach the maps only once the write committed, so memory
/// never holds what the store does not. Threading: every method is thread-safe (one mutex, held
/// for a dictionary operation); completions run on the loop named.
///
/// With `redis:` (`shared`), the replicas' shared keys answer first (`SharedKeys`, trusted for
/// `redis.key_cache`), and every change is written to this store, then to Redis, before it is
/// answered; these maps remain this replica's own keys, what answers while Redis is down
/// (`fail_open`).
final class KeyRegistry: KeyDirectory {
    private struct Maps {
        var byHash: [String: VirtualKey] = [:]
        var byID: [String: VirtualKey] = [:]
    }

    private let maps: Mutex<Maps>
    let store: Store
    /// The keys shared through Redis; nil without `redis:` (then these maps are all there is).
    let shared: SharedKeys?

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

    /// Stores a new key, then serves it (and shares it, with `redis:`).
    func create(_ key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<VirtualKey, GatewayError>) -> Void) {
        store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.insert(key, db) }) { [self] result in
            if case .failure(let error) = result { return completion(.failure(Self.storeFailed(error))) }
            install(key, replacing: nil)
            share(key, on: loop, then: completion)
        }
    }

    /// Stores `key` over the record with its id (`previous`, as read before the change), then
    /// serves it: a rotated secret's old hash stops working at once (on other replicas within
    /// `redis.key_cache`). With `redis:` the key may come from another replica: its row is
    /// written here whether or not this store had it.
    func replace(_ previous: VirtualKey, with key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<VirtualKey, GatewayError>) -> Void) {
        let upsert = shared != nil
        store.write(onLoop: loop, { db throws(StoreError) in
            if upsert { try KeyRecords.upsert(key, db) } else { try KeyRecords.update(key, db) }
        }) { [self] result in
            if case .failure(let error) = result { return completion(.failure(Self.storeFailed(error))) }
            install(key, replacing: previous)
            share(key, on: loop, then: completion)
        }
    }

    func delete(_ key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<Void, GatewayError>) -> Void) {
        store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.delete(id: key.id, db) }) { [self] result in
            if case .failure(let error) = result { return completion(.failure(Self.storeFailed(error))) }
            maps.withLock { maps in
                if let current = maps.byID.removeValue(forKey: key.id) { maps.byHash.removeValue(forKey: current.hash) }
            }
            guard let shared else { return completion(.success(())) }
            shared.unpublish(id: key.id, on: loop) { failure in
                completion(failure.map { .failure(Self.notShared($0)) } ?? .success(()))
            }
        }
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

    /// With `redis:`, writes the stored change to Redis before it is answered.
    private func share(_ key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<VirtualKey, GatewayError>) -> Void) {
        guard let shared else { return completion(.success(key)) }
        shared.publish(key, on: loop) { failure in
            completion(failure.map { .failure(Self.notShared($0)) } ?? .success(key))
        }
    }

    /// Nothing changed: the store refused the write (the registry was left as it was).
    static func storeFailed(_ error: StoreError) -> GatewayError {
        GatewayError.unavailable("The key was not changed: the store refused the write (\(error.message)).")
    }

    /// Stored on this replica (and served by it) but not shared: the others do not see it.
    static func notShared(_ reason: String) -> GatewayError {
        GatewayError.unavailable("The key was changed on this replica only: its shared store, Redis, did not take it (\(reason)); the other replicas do not see the change. Repeat it once Redis answers.")
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
