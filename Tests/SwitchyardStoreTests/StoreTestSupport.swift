import Glibc
import Synchronization
import SwitchyardPosix
import SwitchyardStore

/// A fresh directory under /tmp per test, removed by `cleanup`.
struct ScratchDirectory {
    let path: String

    init() {
        var template = Array("/tmp/switchyard-store-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func cleanup() { _ = system("rm -rf '\(path)'") }
}

/// One running event loop on its own thread, for completions to arrive on.
final class RunningLoop: Sendable {
    let group: EventLoopGroup
    var loop: EventLoop { group.loops[0] }

    init() throws {
        group = try EventLoopGroup(count: 1)
        group.start()
    }

    func stop() { group.stopAndJoin() }
}

/// Collects values from any thread; `waitFor` polls (at most 10 s).
final class Collector<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }

    @discardableResult
    func waitFor(count: Int) -> [Value] {
        for _ in 0..<10_000 {
            if all.count >= count { break }
            usleep(1000)
        }
        return all
    }
}

/// A latch the test opens; jobs wait on it by polling.
final class Gate: Sendable {
    private let open = Atomic<Bool>(false)
    func release() { open.store(true, ordering: .releasing) }
    func wait() { while !open.load(ordering: .acquiring) { usleep(1000) } }
}

enum TestSchema {
    static let things = Migration(version: 1, name: "things", sql: "CREATE TABLE things (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    static let tags = Migration(version: 2, name: "tags", sql: "CREATE TABLE tags (thing INTEGER NOT NULL REFERENCES things(id), tag TEXT NOT NULL)")

    /// Synchronous read for assertions (the tests' thread waits; the store's loops never do).
    static func scalar(_ store: Store, _ sql: String) -> SQLValue? {
        let result = Collector<SQLValue?>()
        store.read(on: nil, { db throws(StoreError) in try db.scalar(sql) }, completion: { result.append((try? $0.get()) ?? nil) })
        return result.waitFor(count: 1).first ?? nil
    }
}
