import Glibc
import Synchronization
import SwitchyardPosix

/// One running event loop on its own thread, and a way for a test's thread to run something on
/// it and wait for the answer it calls back with (on the loop) — at most `seconds`.
public final class TestLoop: Sendable {
    public let group: EventLoopGroup
    public var loop: EventLoop { group.loops[0] }

    public init() throws {
        group = try EventLoopGroup(count: 1)
        group.start()
    }

    public func stop() { group.stopAndJoin() }

    /// Runs `body` on the loop; returns what it hands to its callback, nil after `seconds`.
    public func wait<Value: Sendable>(seconds: Double = 10, _ body: @escaping @Sendable (EventLoop, @escaping (Value) -> Void) -> Void) -> Value? {
        let box = Mutex<Value?>(nil)
        let loop = self.loop
        loop.execute { body(loop) { value in box.withLock { $0 = value } } }
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while monotonicNanoseconds() < deadline {
            if let value = box.withLock({ $0 }) { return value }
            usleep(500)
        }
        return nil
    }

    /// Polls `condition` (on the test's thread) until true or `seconds` pass.
    public static func eventually(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while monotonicNanoseconds() < deadline {
            if condition() { return true }
            usleep(2000)
        }
        return condition()
    }
}
