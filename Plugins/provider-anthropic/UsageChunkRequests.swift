import Synchronization

/// Which streamed calls asked for a final usage chunk (`stream_options.include_usage`).
///
/// Why this exists: `prepare` sees the request body, but the response transformer is made from
/// the call info alone, which does not say. So `prepare` notes the call here and the transformer
/// takes the note back. A call whose upstream request never answers leaves its note behind;
/// the table keeps the most recent `capacity` notes, so such leftovers cannot pile up.
final class UsageChunkRequests: Sendable {
    private let calls = Mutex<[String]>([])
    private let capacity = 1024

    func note(requestID: String, attempt: Int) {
        let key = Self.key(requestID, attempt)
        calls.withLock { calls in
            if calls.count >= capacity { calls.removeFirst(calls.count - capacity + 1) }
            calls.append(key)
        }
    }

    /// Whether the call was noted; the note is removed.
    func take(requestID: String, attempt: Int) -> Bool {
        let key = Self.key(requestID, attempt)
        return calls.withLock { calls in
            guard let index = calls.lastIndex(of: key) else { return false }
            calls.remove(at: index)
            return true
        }
    }

    private static func key(_ requestID: String, _ attempt: Int) -> String { "\(requestID)#\(attempt)" }
}
