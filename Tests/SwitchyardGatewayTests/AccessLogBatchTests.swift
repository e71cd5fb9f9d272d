import Foundation
@testable import SwitchyardGateway
import SwitchyardPosix
import Testing

/// Access-log batching: nothing is written per line, a batch never exceeds PIPE_BUF, and the
/// delay timer or a flush writes what is pending.
@Suite struct AccessLogBatchTests {
    /// A datagram socket pair: each write(2) arrives as one datagram, so batches can be counted.
    private func pipePair() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        _ = socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        var size: Int32 = 1 << 20
        setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        return (fds[0], fds[1])
    }

    private func drain(_ fd: Int32) -> [Int] {
        var sizes: [Int] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return sizes }
            sizes.append(count)
        }
    }

    @Test func linesAreBatchedUpToPipeBufAndFlushedByTheTimer() throws {
        let loop = try EventLoop()
        let thread = Thread { loop.run() }
        thread.start()
        defer { loop.stop() }
        let (readEnd, writeEnd) = pipePair()
        defer { close(readEnd); close(writeEnd) }
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            let batch = AccessLogBatch(loop: loop, fd: writeEnd)
            for index in 0..<100 {
                var line = LogLine(level: .info, message: "request")
                line.field("request_id", "req-\(index)")
                line.field("padding", String(repeating: "x", count: 60))
                batch.append(line)
            }
            done.signal()
            // The timer holds the batch unowned (as the gateway's loop context does): keep it
            // alive until the flush delay has passed.
            loop.schedule(after: 300_000_000) {
                withExtendedLifetime(batch) {}
                done.signal()
            }
        }
        done.wait()
        let early = drain(readEnd)
        #expect(!early.isEmpty && early.allSatisfy { $0 <= Int(PIPE_BUF) })  // full batches went out at once
        let earlyBytes = early.reduce(0, +)
        #expect(earlyBytes < 100 * 95)  // ...but the last partial batch waits for the timer
        done.wait()
        let late = drain(readEnd)
        let lines = (early + late).reduce(0, +)
        #expect(late.count == 1)
        #expect(lines > 100 * 90)
    }

    @Test func onceWritingThroughEachLineIsWrittenAtOnce() throws {
        let (readEnd, writeEnd) = pipePair()
        defer { close(readEnd); close(writeEnd) }
        // Loop-confined, but no loop runs here: no timer can fire, so only writes count.
        let batch = AccessLogBatch(loop: try EventLoop(), fd: writeEnd)
        batch.append(LogLine(level: .info, message: "batched"))
        #expect(drain(readEnd).isEmpty)
        batch.writeThrough()  // a drain begins: the batch goes out...
        #expect(drain(readEnd).count == 1)
        batch.append(LogLine(level: .info, message: "one"))  // ...and so does each later line
        batch.append(LogLine(level: .info, message: "two"))
        #expect(drain(readEnd) == [19, 19])
    }
}
