import Synchronization
import SwitchyardJSON
import SwitchyardTranslation

/// Responses the gateway returned from `/v1/responses` with `store` on (the API's default), for
/// `GET` / `DELETE /v1/responses/{id}` and for continuing a conversation with
/// `previous_response_id`. In memory, bounded: the oldest entries are evicted past `capacity`,
/// and nothing survives a restart (docs/decisions/0007-response-store-in-memory.md).
///
/// Threading: any loop; one mutex around a dictionary and an insertion-order ring.
final class ResponseStore: Sendable {
    struct Entry: Sendable {
        let response: JSONValue
        /// The canonical conversation that led to it (translated routes); nil for a response a
        /// provider produced natively, which only that provider can continue.
        let conversation: [JSONValue]?

        var priorTurn: ResponsesPriorTurn? {
            conversation.map { ResponsesPriorTurn(messages: $0, output: response["output"]?.arrayValue ?? []) }
        }
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var head = 0
    }

    private let table = Mutex(Table())
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func keep(_ response: JSONValue, conversation: [JSONValue]?) {
        guard let id = response["id"]?.stringValue else { return }
        table.withLock { table in
            if table.entries.updateValue(Entry(response: response, conversation: conversation), forKey: id) == nil {
                table.order.append(id)
            }
            // Evict from the front of the ring; ids deleted earlier are skipped.
            while table.entries.count > capacity, table.head < table.order.count {
                table.entries[table.order[table.head]] = nil
                table.head += 1
            }
            if table.head > 1024, table.head * 2 > table.order.count {
                table.order.removeFirst(table.head)
                table.head = 0
            }
        }
    }

    func entry(_ id: String) -> Entry? { table.withLock { $0.entries[id] } }

    /// Forgets `id`; false when it was not stored.
    func delete(_ id: String) -> Bool { table.withLock { $0.entries.removeValue(forKey: id) != nil } }
}
