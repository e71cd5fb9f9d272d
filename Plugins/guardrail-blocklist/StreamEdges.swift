import Synchronization

/// Per stream choice, whether the text released to the client so far ends with a word
/// character: a window of the next chunk starts right after it, and a term starting with a word
/// character must not match at the window's start then ("xyz" + "forbidden" is "xyzforbidden").
/// Remembering one flag keeps the hold to what can still match; holding back the last character
/// of every chunk would do the same at the cost of a character of latency per chunk.
///
/// Threading: shared by every call of the instance (calls run on any event loop), so behind a
/// lock; the entries of one call are written by one inspect at a time and dropped at `call_end`.
/// Calls without a `sy_call` handle (id 0) keep no state: their windows start on a boundary.
final class StreamEdges: Sendable {
    /// By call id, the choice indexes whose released text ends with a word character.
    private let endingInWord = Mutex<[UInt: Set<Int>]>([:])

    func endsInWord(call: UInt, choice: Int) -> Bool {
        guard call != 0 else { return false }
        return endingInWord.withLock { $0[call]?.contains(choice) ?? false }
    }

    func record(call: UInt, choice: Int, endsInWord: Bool) {
        guard call != 0 else { return }
        endingInWord.withLock { calls in
            if endsInWord {
                calls[call, default: []].insert(choice)
            } else if calls[call]?.remove(choice) != nil, calls[call]?.isEmpty == true {
                calls[call] = nil
            }
        }
    }

    func forget(call: UInt) {
        guard call != 0 else { return }
        _ = endingInWord.withLock { $0.removeValue(forKey: call) }
    }
}
