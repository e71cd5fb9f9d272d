import Glibc
import Synchronization
import SwitchyardPosix
import SwitchyardStore
import Testing

/// Writes: enqueued from a loop, committed in batches by the writer thread, each completion
/// delivered on the loop that asked; a failing job rolled back alone; bounded queue; close.
@Suite struct StoreWriterTests {
    struct Outcome: Sendable {
        var id: Int
        var onLoop: Bool
        var error: StoreError?
    }

    func insert(_ store: Store, id: Int, on loop: EventLoop, into outcomes: Collector<Outcome>, body: String = "x") {
        store.write(on: loop, { db throws(StoreError) in
            try db.run("INSERT INTO things (id, body) VALUES (?, ?)", [.integer(Int64(id)), .text(body)])
        }, completion: { result in
            var error: StoreError?
            if case .failure(let failure) = result { error = failure }
            outcomes.append(Outcome(id: id, onLoop: loop.isOnLoop, error: error))
        })
    }

    @Test func queuedWritesCommitTogetherAndCompleteOnTheirLoop() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let running = try RunningLoop()
        defer { running.stop() }
        let store = try Store(StoreOptions(path: scratch.file("s.db")), migrations: [TestSchema.things])
        defer { store.close() }
        let gate = Gate()
        let outcomes = Collector<Outcome>()
        // Hold the writer inside a first job so the next 200 queue up behind it.
        store.write { _ throws(StoreError) in gate.wait() }
        for id in 1...200 { insert(store, id: id, on: running.loop, into: outcomes) }
        gate.release()
        let all = outcomes.waitFor(count: 200)
        #expect(all.count == 200)
        #expect(all.allSatisfy { $0.onLoop && $0.error == nil })
        #expect(all.map(\.id) == Array(1...200))
        #expect(store.writeBatches <= 3)
        #expect(TestSchema.scalar(store, "SELECT count(*) FROM things") == .integer(200))
    }

    @Test func aFailingJobIsRolledBackAloneAndItsCompletionGetsTheError() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let running = try RunningLoop()
        defer { running.stop() }
        let store = try Store(StoreOptions(path: scratch.file("s.db")), migrations: [TestSchema.things])
        defer { store.close() }
        let gate = Gate()
        let outcomes = Collector<Outcome>()
        store.write { _ throws(StoreError) in gate.wait() }
        insert(store, id: 1, on: running.loop, into: outcomes)
        // Two statements: the first succeeds, the second violates the primary key; both go.
        store.write(on: running.loop, { db throws(StoreError) in
            try db.run("INSERT INTO things (id, body) VALUES (2, 'half')")
            try db.run("INSERT INTO things (id, body) VALUES (1, 'duplicate')")
        }, completion: { result in
            if case .failure(let error) = result { outcomes.append(Outcome(id: 2, onLoop: running.loop.isOnLoop, error: error)) }
        })
        insert(store, id: 3, on: running.loop, into: outcomes)
        gate.release()
        let all = outcomes.waitFor(count: 3)
        #expect(all.count == 3)
        let failed = all.first { $0.id == 2 }
        #expect(failed?.error?.kind == .statementFailed)
        #expect(failed?.error?.message.contains("UNIQUE constraint failed") == true)
        #expect(failed?.onLoop == true)
        #expect(TestSchema.scalar(store, "SELECT group_concat(id, ',') FROM (SELECT id FROM things ORDER BY id)") == .text("1,3"))
    }

    @Test func aFullQueueRefusesOnTheLoop() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let running = try RunningLoop()
        defer { running.stop() }
        var options = StoreOptions(path: scratch.file("s.db"))
        options.writeQueue = 4
        let store = try Store(options, migrations: [TestSchema.things])
        defer { store.close() }
        let gate = Gate()
        store.write { _ throws(StoreError) in gate.wait() }
        // Wait until the writer has taken the blocking job, so the queue is empty again.
        for _ in 0..<5000 where store.pendingWrites > 0 { usleep(1000) }
        let outcomes = Collector<Outcome>()
        for id in 1...10 { insert(store, id: id, on: running.loop, into: outcomes) }
        let refused = outcomes.waitFor(count: 6)
        #expect(refused.count == 6)
        #expect(refused.allSatisfy { $0.error?.kind == .queueFull && $0.onLoop && $0.id > 4 })
        gate.release()
        let all = outcomes.waitFor(count: 10)
        #expect(all.filter { $0.error == nil }.map(\.id).sorted() == [1, 2, 3, 4])
    }

    @Test func closeCommitsWhatIsQueuedAndLaterWritesAreRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let options = StoreOptions(path: scratch.file("s.db"))
        let store = try Store(options, migrations: [TestSchema.things])
        for id in 1...50 {
            store.write { db throws(StoreError) in try db.run("INSERT INTO things (id, body) VALUES (?, 'q')", [.integer(Int64(id))]) }
        }
        store.close()
        let late = Collector<StoreError?>()
        store.write(on: nil, { _ throws(StoreError) in }, completion: { result in
            if case .failure(let error) = result { late.append(error) } else { late.append(nil) }
        })
        #expect(late.waitFor(count: 1).first??.kind == .closed)

        let reopened = try Store(options, migrations: [TestSchema.things])
        defer { reopened.close() }
        #expect(TestSchema.scalar(reopened, "SELECT count(*) FROM things") == .integer(50))
    }

    @Test func readsRunOffTheLoopAndAnswerOnItSeeingAcknowledgedWrites() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let running = try RunningLoop()
        defer { running.stop() }
        let store = try Store(StoreOptions(path: scratch.file("s.db")), migrations: [TestSchema.things])
        defer { store.close() }
        let outcomes = Collector<Outcome>()
        insert(store, id: 7, on: running.loop, into: outcomes, body: "seven")
        #expect(outcomes.waitFor(count: 1).first?.error == nil)
        let reads = Collector<(String?, Bool)>()
        let loop = running.loop
        store.read(on: loop, { db throws(StoreError) -> String? in
            var body: String?
            try db.query("SELECT body FROM things WHERE id = ?", [.integer(7)]) { row in body = row.text(0) }
            return body
        }, completion: { result in reads.append(((try? result.get()) ?? nil, loop.isOnLoop)) })
        let read = reads.waitFor(count: 1).first
        #expect(read?.0 == "seven")
        #expect(read?.1 == true)

        // A reader connection cannot write, even by mistake.
        let refused = Collector<StoreError?>()
        store.read(on: nil, { db throws(StoreError) in try db.run("DELETE FROM things") }, completion: { result in
            if case .failure(let error) = result { refused.append(error) } else { refused.append(nil) }
        })
        #expect(refused.waitFor(count: 1).first??.kind == .statementFailed)
    }
}
