import Synchronization
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardTranslation

/// Responses the gateway returned from `/v1/responses` with `store` on (the API's default), for
/// `GET` / `DELETE /v1/responses/{id}` and for continuing a conversation with
/// `previous_response_id`. Kept in the embedded store (`stored_responses`), so they survive a
/// restart (docs/decisions/0015-stored-responses-in-the-store.md).
///
/// - `keep` never waits: it puts the entry in a small in-memory table of writes not yet
///   committed and queues the insert on the store's writer. The entry leaves the table once its
///   write committed (then the store has it) or failed (logged; the client already has its
///   response, but a later GET will not find it). Reads look in that table first, so a client
///   that GETs or continues a response the moment it has the id finds it.
/// - `entry` and `delete` answer through a completion: at once for an entry still in the
///   table, else on `loop` after a store reader (or the writer, for `delete`) answered.
/// - Retention (`store.responses`): a response older than `maxAge` is not found; a pass on the
///   writer deletes such rows and those beyond the newest `maxCount`, at start and then at most
///   once a minute while responses are being kept.
///
/// Threading: every method may be called from any thread (in the gateway: an event loop); the
/// table is behind one mutex, the SQL runs on the store's threads (`StoredResponseRows`).
final class ResponseStore: Sendable {
    struct Entry: Sendable {
        let response: JSONValue
        /// The canonical conversation that led to it (translated routes); nil for a response a
        /// provider produced natively, which only that provider can continue.
        let conversation: [JSONValue]?
        /// The key that created it (`key_id`; `OwnerFilter`), nil on an open gateway.
        var owner: String? = nil

        var priorTurn: ResponsesPriorTurn? {
            conversation.map { ResponsesPriorTurn(messages: $0, output: response["output"]?.arrayValue ?? []) }
        }
    }

    /// `store.responses`, in the store's units.
    struct Retention: Sendable {
        var maxAgeMilliseconds: Int64
        var maxCount: Int
    }

    /// Entries whose insert has not completed; `write` tells a re-kept id's newer entry apart
    /// from the one whose completion arrives.
    private struct PendingWrites {
        var entries: [String: (entry: Entry, write: UInt64)] = [:]
        var writes: UInt64 = 0
    }

    /// The least time between two retention passes triggered by `keep`.
    static let prunePeriodMilliseconds: Int64 = 60_000

    let retention: Retention
    private let store: Store
    private let log: GatewayLog
    /// Unix milliseconds; tests move it to see retention work.
    private let clock: @Sendable () -> Int64
    private let pending = Mutex(PendingWrites())
    private let nextPruneAt = Atomic<Int64>(0)

    /// Queues a first retention pass (write-behind) so a gateway restarted after a long pause
    /// drops what expired meanwhile.
    init(store: Store, retention: Retention, log: GatewayLog, clock: @escaping @Sendable () -> Int64 = ResponseStore.wallClock) {
        self.store = store
        self.retention = retention
        self.log = log
        self.clock = clock
        let now = clock()
        nextPruneAt.store(now + Self.prunePeriodMilliseconds, ordering: .relaxed)
        prune(now: now, on: nil, completion: nil)
    }

    static func wallClock() -> Int64 { Int64(unixNanoseconds() / 1_000_000) }

    /// Keeps `response` (it must have an `"id"`) with the conversation that led to it and the
    /// key that asked for it (`owner`: the caller's key id, nil on an open gateway).
    func keep(_ response: JSONValue, conversation: [JSONValue]?, owner: String? = nil) {
        guard let id = response["id"]?.stringValue else { return }
        let entry = Entry(response: response, conversation: conversation, owner: owner)
        let now = clock()
        let write = pending.withLock { table in
            table.writes += 1
            table.entries[id] = (entry, table.writes)
            return table.writes
        }
        store.write(on: nil, { db throws(StoreError) in
            try StoredResponseRows.insert(db, id: id, entry: entry, createdAt: now)
        }, completion: { [self] result in
            // On the writer thread, after the commit: a read submitted from now on sees the row.
            pending.withLock { table in
                if table.entries[id]?.write == write { table.entries[id] = nil }
            }
            if case .failure(let error) = result {
                log.error("stored response not written; GET and previous_response_id will not find it",
                          fields: [("response_id", id), ("error", error.kind.rawValue), ("message", error.message)])
            }
        })
        pruneIfDue(now)
    }

    /// The entry for `id`, nil when none is stored (or it expired). Calls `completion` at once
    /// when the entry's write is still pending, else on `loop` (nil: a reader thread).
    func entry(_ id: String, on loop: EventLoop?, completion: @escaping @Sendable (Result<Entry?, StoreError>) -> Void) {
        if let held = pending.withLock({ $0.entries[id]?.entry }) {
            completion(.success(held))
            return
        }
        let notBefore = clock() - retention.maxAgeMilliseconds
        store.read(on: loop, { db throws(StoreError) in
            try StoredResponseRows.entry(db, id: id, notBefore: notBefore)
        }, completion: completion)
    }

    /// Deletes `id` when `owners` admits it; `completion` (on `loop`, after the delete committed)
    /// gets false when it was not stored (or is another key's). The delete queues behind a
    /// pending insert of the same id, so it removes it.
    func delete(_ id: String, owners: OwnerFilter = .everyone, on loop: EventLoop?, completion: @escaping @Sendable (Result<Bool, StoreError>) -> Void) {
        let wasPending = pending.withLock { table in
            guard let held = table.entries[id], owners.admits(held.entry.owner) else { return false }
            table.entries[id] = nil
            return true
        }
        let notBefore = clock() - retention.maxAgeMilliseconds
        let outcome = DeleteOutcome()
        store.write(on: loop, { db throws(StoreError) in
            outcome.removed.store(try StoredResponseRows.delete(db, id: id, notBefore: notBefore, owners: owners), ordering: .relaxed)
        }, completion: { result in
            completion(result.map { wasPending || outcome.removed.load(ordering: .relaxed) })
        })
    }

    /// Queues one retention pass on the writer; `completion` gets the rows deleted.
    func prune(now: Int64, on loop: EventLoop?, completion: (@Sendable (Result<Int, StoreError>) -> Void)?) {
        let notBefore = now - retention.maxAgeMilliseconds
        let maxCount = retention.maxCount
        let outcome = PruneOutcome()
        let body: @Sendable (SQLiteConnection) throws(StoreError) -> Void = { db throws(StoreError) in
            outcome.deleted.store(try StoredResponseRows.prune(db, notBefore: notBefore, maxCount: maxCount), ordering: .relaxed)
        }
        guard let completion else {
            store.write(body)  // its error reaches the store's onError, which logs it
            return
        }
        store.write(on: loop, body, completion: { result in completion(result.map { outcome.deleted.load(ordering: .relaxed) }) })
    }

    /// Entries waiting for their write (diagnostics, tests).
    var pendingWrites: Int { pending.withLock { $0.entries.count } }

    private func pruneIfDue(_ now: Int64) {
        let due = nextPruneAt.load(ordering: .relaxed)
        guard now >= due,
              nextPruneAt.compareExchange(expected: due, desired: now + Self.prunePeriodMilliseconds, ordering: .relaxed).exchanged
        else { return }
        prune(now: now, on: nil, completion: nil)
    }
}

/// What a delete job found, handed from the writer thread to the completion (which runs after
/// the job on the same or a later-ordered thread, through the store's delivery).
private final class DeleteOutcome: Sendable {
    let removed = Atomic<Bool>(false)
}

/// The rows a retention pass deleted, from the writer thread to the completion.
private final class PruneOutcome: Sendable {
    let deleted = Atomic<Int>(0)
}
