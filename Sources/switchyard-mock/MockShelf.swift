import Synchronization

/// The records of one kind the mock keeps (files, batches, message batches), in creation order,
/// with ids `prefix + N` numbered from 1, and at most `limit` of them: past it, `insert`
/// refuses, so a long test session stays bounded.
///
/// Cursors are ids; as an id carries its number, a cursor still works after its record has
/// been deleted (the next page starts where that record was).
///
/// Threading: shared by every loop and the batch worker; a mutex guards the list. Closures
/// passed in run under it, so they must be short and must not call back into the shelf.
final class MockShelf<Record: Sendable>: Sendable {
    let prefix: String
    let limit: Int
    private let state: Mutex<State>

    private struct State {
        var next = 1
        /// (number, record), numbers increasing.
        var records: [(number: Int, record: Record)] = []
    }

    init(prefix: String, limit: Int) {
        self.prefix = prefix
        self.limit = limit
        state = Mutex(State())
    }

    /// Stores the record `make` builds for the next id; nil when the shelf is full (unless
    /// `beyondLimit`, for records the mock makes itself, such as a batch's output file).
    func insert(beyondLimit: Bool = false, _ make: (_ id: String) -> Record) -> Record? {
        state.withLock { state in
            guard beyondLimit || state.records.count < limit else { return nil }
            let number = state.next
            state.next += 1
            let record = make(prefix + String(number))
            state.records.append((number, record))
            return record
        }
    }

    var isFull: Bool { state.withLock { $0.records.count >= limit } }

    func get(_ id: String) -> Record? {
        guard let number = number(of: id) else { return nil }
        return state.withLock { state in state.records.first { $0.number == number }?.record }
    }

    /// Changes the record in place and returns it as changed; nil when there is no such record.
    func update<Result>(_ id: String, _ change: (inout Record) -> Result) -> Result? {
        guard let number = number(of: id) else { return nil }
        return state.withLock { state in
            guard let index = state.records.firstIndex(where: { $0.number == number }) else { return nil }
            return change(&state.records[index].record)
        }
    }

    /// Removes the record when `allowed` says so; `.missing` when there is none.
    func remove(_ id: String, if allowed: (Record) -> Bool = { _ in true }) -> Removal {
        guard let number = number(of: id) else { return .missing }
        return state.withLock { state in
            guard let index = state.records.firstIndex(where: { $0.number == number }) else { return .missing }
            guard allowed(state.records[index].record) else { return .refused(state.records[index].record) }
            return .removed(state.records.remove(at: index).record)
        }
    }

    enum Removal {
        case removed(Record)
        case refused(Record)
        case missing
    }

    /// The number in an id of this shelf, or nil when the id is not one of its ids.
    func number(of id: String) -> Int? {
        guard id.hasPrefix(prefix), let number = Int(id.dropFirst(prefix.count)), number > 0 else { return nil }
        return number
    }

    /// One page: up to `limit` records matching `include`, newest first (or oldest first when
    /// `!newestFirst`), after the cursor `after` in that order, or else just before the cursor
    /// `before` (the records nearest to it, still in that order). `hasMore` says whether more
    /// records lie beyond the page in the direction of travel.
    func page(newestFirst: Bool = true, after: Int? = nil, before: Int? = nil, limit: Int, include: (Record) -> Bool = { _ in true }) -> Page {
        let ordered = state.withLock { state in
            newestFirst ? state.records.reversed().filter { include($0.record) } : state.records.filter { include($0.record) }
        }
        // "Later in the order" is a smaller number newest first, a larger one oldest first.
        func later(_ number: Int, than cursor: Int) -> Bool { newestFirst ? number < cursor : number > cursor }
        if let before {
            let earlier = ordered.filter { later(before, than: $0.number) }
            let page = earlier.suffix(limit)
            return Page(records: page.map(\.record), hasMore: earlier.count > page.count, ids: page.map { prefix + String($0.number) })
        }
        let rest = after.map { cursor in ordered.filter { later($0.number, than: cursor) } } ?? ordered
        let page = rest.prefix(limit)
        return Page(records: page.map(\.record), hasMore: rest.count > page.count, ids: page.map { prefix + String($0.number) })
    }

    struct Page {
        let records: [Record]
        let hasMore: Bool
        let ids: [String]
    }
}
