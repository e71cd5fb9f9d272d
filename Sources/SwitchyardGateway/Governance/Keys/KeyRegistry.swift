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
final class KeyRegistry: KeyDirectory {
    private struct Maps {
        var byHash: [String: VirtualKey] = [:]
        var byID: [String: VirtualKey] = [:]
    }

    private let maps: Mutex<Maps>
    let store: Store

    init(store: Store, keys: [VirtualKey]) {
        self.store = store
        var maps = Maps()
        for key in keys {
            maps.byHash[key.hash] = key
            maps.byID[key.id] = key
        }
        self.maps = Mutex(maps)
    }

    /// Every key of `store`; blocks the calling thread (start-up only, never a loop).
    static func load(store: Store) throws(StoreError) -> KeyRegistry {
        KeyRegistry(store: store, keys: try store.readWaiting { db throws(StoreError) in try KeyRecords.all(db) })
    }

    func key(hash: String) -> VirtualKey? { maps.withLock { $0.byHash[hash] } }

    func key(id: String) -> VirtualKey? { maps.withLock { $0.byID[id] } }

    /// Keys oldest first, optionally only a user's and/or a team's.
    func list(user: String? = nil, team: String? = nil) -> [VirtualKey] {
        maps.withLock { Array($0.byID.values) }
            .filter { key in (user == nil || key.user == user) && (team == nil || key.team == team) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Keys neither disabled nor expired at `now` (Unix seconds).
    func activeCount(now: Int64) -> Int {
        maps.withLock { $0.byID.values.count { !$0.disabled && !$0.isExpired(now: now) } }
    }

    /// Stores a new key, then serves it.
    func create(_ key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<VirtualKey, StoreError>) -> Void) {
        store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.insert(key, db) }) { [self] result in
            completion(result.map { install(key, replacing: nil); return key })
        }
    }

    /// Stores `key` over the record with its id (`previous`, as read before the change), then
    /// serves it: a rotated secret's old hash stops working at once.
    func replace(_ previous: VirtualKey, with key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<VirtualKey, StoreError>) -> Void) {
        store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.update(key, db) }) { [self] result in
            completion(result.map { install(key, replacing: previous); return key })
        }
    }

    func delete(_ key: VirtualKey, on loop: EventLoop, then completion: @escaping (Result<Void, StoreError>) -> Void) {
        store.write(onLoop: loop, { db throws(StoreError) in try KeyRecords.delete(id: key.id, db) }) { [self] result in
            if case .success = result {
                maps.withLock { maps in
                    if let current = maps.byID.removeValue(forKey: key.id) { maps.byHash.removeValue(forKey: current.hash) }
                }
            }
            completion(result)
        }
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
