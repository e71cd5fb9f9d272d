import SwitchyardPluginSDK
import Synchronization

/// What `prepare` learned from the request that the response transformer needs: the ABI hands
/// `begin` only the call info (operation, stream, request id, attempt), not the request body,
/// and Gemini's answers do not echo these choices.
struct CallFacts: Sendable {
    /// `stream_options.include_usage`: whether the stream ends with a usage chunk.
    var includeUsage = false
    /// `encoding_format: "base64"` on an embeddings request.
    var base64Embeddings = false
    /// `logprobs: true`: choices carry a `logprobs` object.
    var logprobs = false
}

/// Per-instance memory from `prepare` to `responseTransformer` of the same call, keyed by
/// request id, attempt and operation. Bounded: a call whose response never begins (connection
/// refused, client gone) leaves an entry that is evicted oldest-first, never a leak.
///
/// Threading: calls of one instance run on any event loop at once, so the table is a Mutex.
final class CallMemory: Sendable {
    private struct Table {
        var facts: [String: CallFacts] = [:]
        var order: [String] = []
    }

    private let table = Mutex(Table())
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func remember(_ facts: CallFacts, for key: String) {
        table.withLock { table in
            if table.facts.updateValue(facts, forKey: key) == nil { table.order.append(key) }
            while table.order.count > capacity {
                table.facts[table.order.removeFirst()] = nil
            }
        }
    }

    /// The facts for `key`, forgotten as they are taken; defaults when prepare left none.
    func take(_ key: String) -> CallFacts {
        table.withLock { table in
            guard let facts = table.facts.removeValue(forKey: key) else { return CallFacts() }
            if let index = table.order.firstIndex(of: key) { table.order.remove(at: index) }
            return facts
        }
    }

    static func key(_ call: CallInfo) -> String { "\(call.requestID)#\(call.attempt)#\(call.operation)" }
}
