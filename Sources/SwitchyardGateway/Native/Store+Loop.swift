import SwitchyardPosix
import SwitchyardStore

/// The store's read and write for code confined to an event loop: the completion runs on
/// `loop`, which is the caller's own, so it may capture the caller's loop-confined state
/// (executors, writers, contexts) that is not `Sendable`. The job bodies still run on store
/// threads and must capture only Sendable values.
extension Store {
    func read<Value: Sendable>(
        onLoop loop: EventLoop, _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Value,
        then completion: @escaping (Result<Value, StoreError>) -> Void
    ) {
        let confined = LoopConfined(completion)
        read(on: loop, body) { result in confined.value(result) }
    }

    func write(
        onLoop loop: EventLoop, _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Void,
        then completion: @escaping (Result<Void, StoreError>) -> Void
    ) {
        let confined = LoopConfined(completion)
        write(on: loop, body) { result in confined.value(result) }
    }
}

extension Store {
    /// Runs `work`, file work that would block a loop (the fsync of a held file), on one of the
    /// store's reader threads, not its writer, so the store's writes never wait on it; the
    /// result comes back on `loop`.
    func offLoop<Value: Sendable>(onLoop loop: EventLoop, _ work: @escaping @Sendable () -> Value, then completion: @escaping (Value?) -> Void) {
        read(onLoop: loop, { _ throws(StoreError) in work() }) { result in completion(try? result.get()) }
    }
}

/// A value that is only ever touched on one event loop, carried through a `@Sendable` hop that
/// comes back to that loop.
struct LoopConfined<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
