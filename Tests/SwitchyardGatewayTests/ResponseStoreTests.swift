import Glibc
import Synchronization
@testable import SwitchyardGateway
import SwitchyardJSON
import SwitchyardStore
import Testing

/// Stored responses on a real store file: kept across a reopen, found before their write
/// committed, deleted durably, bounded by age and count, and a failed write logged and dropped.
@Suite struct ResponseStoreTests {
    static let day: Int64 = 86_400_000
    let conversation: [JSONValue] = [["role": "user", "content": "my name is Ann"]]

    func response(_ id: String) -> JSONValue {
        ["id": .string(id), "object": "response", "output": [["type": "message", "role": "assistant", "content": [["type": "output_text", "text": "hi Ann"]]]]]
    }

    @Test func keptResponsesAreFoundAfterTheStoreIsReopened() throws {
        let file = ScratchFile()
        defer { file.remove() }
        do {
            let opened = try OpenedResponses(file.path)
            opened.responses.keep(response("resp_a"), conversation: conversation)
            opened.responses.keep(response("resp_native"), conversation: nil)
            opened.close()  // commits what is queued
        }
        let reopened = try OpenedResponses(file.path)
        defer { reopened.close() }
        #expect(reopened.rows() == 2)
        let translated = try #require(try reopened.entry("resp_a"))
        #expect(translated.response == response("resp_a"))
        #expect(translated.conversation == conversation)
        #expect(translated.priorTurn?.output.count == 1)
        let native = try #require(try reopened.entry("resp_native"))
        #expect(native.conversation == nil && native.priorTurn == nil)
        #expect(try reopened.entry("resp_unknown") == nil)
    }

    @Test func anEntryIsFoundBeforeItsWriteCommittedAndLeavesTheTableAfter() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let opened = try OpenedResponses(file.path)
        defer { opened.close() }
        let gate = HeldWriter(opened.store)
        opened.responses.keep(response("resp_early"), conversation: conversation)
        #expect(opened.responses.pendingWrites == 1)
        #expect(try opened.entry("resp_early")?.conversation == conversation)
        #expect(opened.rows() == 0)  // not in the file yet: the answer came from the table
        gate.release()
        #expect(waitUntil { opened.responses.pendingWrites == 0 })
        #expect(opened.rows() == 1)
        #expect(try opened.entry("resp_early")?.response == response("resp_early"))
    }

    @Test func theOwnerIsKeptAndAnotherKeysDeleteRemovesNothing() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let other = OwnerFilter(keyID: "key_b"), own = OwnerFilter(keyID: "key_a")
        do {
            let opened = try OpenedResponses(file.path)
            let gate = HeldWriter(opened.store)
            opened.responses.keep(response("resp_pending"), conversation: conversation, owner: "key_a")
            // Still pending (answered from the table): another key's delete leaves it there.
            #expect(try opened.entry("resp_pending")?.owner == "key_a")
            let deleted = Waiter<Result<Bool, StoreError>>()
            opened.responses.delete("resp_pending", owners: other, on: nil) { deleted.put($0) }
            #expect(opened.responses.pendingWrites == 1)
            gate.release()
            #expect(try deleted.take().get() == false)
            opened.responses.keep(response("resp_open"), conversation: nil)
            opened.close()
        }
        let reopened = try OpenedResponses(file.path)
        defer { reopened.close() }
        #expect(try reopened.entry("resp_pending")?.owner == "key_a")
        #expect(try reopened.entry("resp_open")?.owner == nil)
        #expect(try reopened.delete("resp_pending", owners: other) == false)
        #expect(try reopened.delete("resp_open", owners: other) == false)
        #expect(try reopened.entry("resp_pending") != nil && reopened.entry("resp_open") != nil)
        #expect(try reopened.delete("resp_pending", owners: own) == true)
        #expect(try reopened.delete("resp_open", owners: .everyone) == true)
        #expect(reopened.rows() == 0)
    }

    @Test func deleteIsDurableAndAnUnknownIdIsNotDeleted() throws {
        let file = ScratchFile()
        defer { file.remove() }
        do {
            let opened = try OpenedResponses(file.path)
            opened.responses.keep(response("resp_committed"), conversation: conversation)
            #expect(waitUntil { opened.responses.pendingWrites == 0 })
            #expect(try opened.delete("resp_committed"))
            #expect(try !opened.delete("resp_committed"))
            #expect(try !opened.delete("resp_never"))
            // Deleting an entry whose insert is still queued: the delete queues behind it.
            let gate = HeldWriter(opened.store)
            opened.responses.keep(response("resp_pending"), conversation: nil)
            let pendingDelete = Waiter<Result<Bool, StoreError>>()
            opened.responses.delete("resp_pending", on: nil) { pendingDelete.put($0) }
            #expect(try opened.entry("resp_pending") == nil)
            gate.release()
            #expect(try pendingDelete.take().get())
            opened.close()
        }
        let reopened = try OpenedResponses(file.path)
        defer { reopened.close() }
        #expect(reopened.rows() == 0)
        #expect(try reopened.entry("resp_committed") == nil && reopened.entry("resp_pending") == nil)
    }

    @Test func anEntryOlderThanMaxAgeIsNotFoundAndAPassDeletesIt() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let clock = TestClock(1_000 * Self.day)
        let opened = try OpenedResponses(file.path, retention: .init(maxAgeMilliseconds: Self.day, maxCount: 100), clock: clock)
        defer { opened.close() }
        opened.responses.keep(response("resp_old"), conversation: conversation)
        #expect(waitUntil { opened.responses.pendingWrites == 0 })
        clock.advance(Self.day / 2)
        opened.responses.keep(response("resp_new"), conversation: conversation)
        #expect(waitUntil { opened.responses.pendingWrites == 0 })
        clock.advance(Self.day / 2 + 1)
        #expect(try opened.entry("resp_old") == nil)
        #expect(try !opened.delete("resp_old"))
        #expect(try opened.entry("resp_new") != nil)
        #expect(opened.rows() == 2)  // expired but not yet pruned
        #expect(try opened.prune(now: clock.now) == 1)
        #expect(opened.rows() == 1)
    }

    @Test func pastMaxCountAPassDeletesTheOldest() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let clock = TestClock(1_000 * Self.day)
        let opened = try OpenedResponses(file.path, retention: .init(maxAgeMilliseconds: Self.day, maxCount: 2), clock: clock)
        defer { opened.close() }
        for index in 1...5 {
            clock.advance(1)
            opened.responses.keep(response("resp_\(index)"), conversation: nil)
        }
        #expect(waitUntil { opened.responses.pendingWrites == 0 })
        #expect(try opened.prune(now: clock.now) == 3)
        #expect(try opened.entry("resp_3") == nil)
        #expect(try opened.entry("resp_4") != nil && opened.entry("resp_5") != nil)
    }

    @Test func keepTriggersAPassAtMostOncePerPeriod() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let clock = TestClock(1_000 * Self.day)
        let opened = try OpenedResponses(file.path, retention: .init(maxAgeMilliseconds: 10_000, maxCount: 100), clock: clock)
        defer { opened.close() }
        opened.responses.keep(response("resp_1"), conversation: nil)
        clock.advance(20_000)  // resp_1 expired; the next pass is not due yet
        opened.responses.keep(response("resp_2"), conversation: nil)
        #expect(waitUntil { opened.responses.pendingWrites == 0 })
        #expect(opened.rows() == 2)
        clock.advance(ResponseStore.prunePeriodMilliseconds)  // now it is, and resp_2 expired too
        opened.responses.keep(response("resp_3"), conversation: nil)
        #expect(waitUntil { opened.rows() == 1 })
    }

    @Test func aWriteTheStoreRefusesIsDroppedAndTheRestGoesOn() throws {
        let file = ScratchFile()
        defer { file.remove() }
        var options = StoreOptions(path: file.path)
        options.writeQueue = 1
        let opened = try OpenedResponses(options)
        defer { opened.close() }
        #expect(waitUntil { opened.store.pendingWrites == 0 })  // the start's retention pass
        let gate = HeldWriter(opened.store)
        opened.responses.keep(response("resp_queued"), conversation: nil)
        opened.responses.keep(response("resp_refused"), conversation: nil)  // queue_full, logged
        #expect(opened.responses.pendingWrites == 1)
        gate.release()
        #expect(waitUntil { opened.responses.pendingWrites == 0 })
        #expect(try opened.entry("resp_queued") != nil)
        #expect(try opened.entry("resp_refused") == nil)
    }

    @Test func aReadOfAClosedStoreIsAnError() throws {
        let file = ScratchFile()
        defer { file.remove() }
        let opened = try OpenedResponses(file.path)
        opened.close()
        #expect(throws: StoreError.self) { try opened.entry("resp_x") }
        #expect(throws: StoreError.self) { try opened.delete("resp_x") }
    }
}

// MARK: - Support

/// A store file and the `ResponseStore` over it, with blocking helpers for the test thread
/// (completions come on store threads: `loop` nil).
final class OpenedResponses {
    let store: Store
    let responses: ResponseStore

    convenience init(_ path: String, retention: ResponseStore.Retention = .init(maxAgeMilliseconds: 86_400_000, maxCount: 1_000), clock: TestClock? = nil) throws {
        try self.init(StoreOptions(path: path), retention: retention, clock: clock)
    }

    init(_ options: StoreOptions, retention: ResponseStore.Retention = .init(maxAgeMilliseconds: 86_400_000, maxCount: 1_000), clock: TestClock? = nil) throws {
        store = try Store(options)
        var now: @Sendable () -> Int64 = ResponseStore.wallClock
        if let clock { now = { clock.now } }
        responses = ResponseStore(store: store, retention: retention, log: GatewayLog(minimum: .error), clock: now)
    }

    func close() { store.close() }

    func entry(_ id: String) throws -> ResponseStore.Entry? {
        let waiter = Waiter<Result<ResponseStore.Entry?, StoreError>>()
        responses.entry(id, on: nil) { waiter.put($0) }
        return try waiter.take().get()
    }

    func delete(_ id: String, owners: OwnerFilter = .everyone) throws -> Bool {
        let waiter = Waiter<Result<Bool, StoreError>>()
        responses.delete(id, owners: owners, on: nil) { waiter.put($0) }
        return try waiter.take().get()
    }

    func prune(now: Int64) throws -> Int {
        let waiter = Waiter<Result<Int, StoreError>>()
        responses.prune(now: now, on: nil) { waiter.put($0) }
        return try waiter.take().get()
    }

    /// Rows in the file, read through the store (what a restart would find).
    func rows() -> Int64 {
        let waiter = Waiter<Result<Int64, StoreError>>()
        store.read(on: nil, { db throws(StoreError) in
            guard case .integer(let count)? = try db.scalar("SELECT count(*) FROM stored_responses") else { return -1 }
            return count
        }, completion: { waiter.put($0) })
        return (try? waiter.take().get()) ?? -1
    }
}

/// Holds the store's writer inside a job until `release`, so later writes queue behind it.
final class HeldWriter: Sendable {
    private let open = Atomic<Bool>(false)
    private let entered = Atomic<Bool>(false)

    init(_ store: Store) {
        store.write { [self] _ throws(StoreError) in
            entered.store(true, ordering: .releasing)
            while !open.load(ordering: .acquiring) { usleep(1000) }
        }
        _ = waitUntil { self.entered.load(ordering: .acquiring) }
    }

    func release() { open.store(true, ordering: .releasing) }
}

/// A clock the test moves (Unix milliseconds).
final class TestClock: Sendable {
    private let value: Atomic<Int64>
    init(_ start: Int64) { value = Atomic(start) }
    var now: Int64 { value.load(ordering: .relaxed) }
    func advance(_ milliseconds: Int64) { value.add(milliseconds, ordering: .relaxed) }
}

/// One value handed over from another thread; `take` waits for it (at most 10 s).
final class Waiter<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)
    func put(_ value: Value) { slot.withLock { $0 = value } }
    func take() -> Value {
        for _ in 0..<10_000 {
            if let value = slot.withLock({ $0 }) { return value }
            usleep(1000)
        }
        fatalError("no value within 10 s")
    }
}

/// Polls `condition` for at most 10 s.
func waitUntil(_ condition: () -> Bool) -> Bool {
    for _ in 0..<10_000 {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

/// A database path in a fresh /tmp folder.
struct ScratchFile {
    let folder: String
    var path: String { folder + "/responses.db" }

    init() {
        var template = Array("/tmp/switchyard-responses-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        folder = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func remove() { _ = system("rm -rf '\(folder)'") }
}
