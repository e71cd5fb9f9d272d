import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One loop's access-log lines, written to stderr in batches: when the next line would take
/// the batch past PIPE_BUF (4 KiB: a write of at most that size to a pipe is atomic, so batches
/// from different loops never interleave), or `flushDelay` after the first line of a batch, or
/// at shutdown. Under load that is one write(2) per ~15 requests instead of one per request.
/// A crash (not SIGTERM, which drains and flushes) loses at most `flushDelay` of lines. Once a
/// drain begins the batch writes through (`writeThrough`), so an exit that cannot wait for the
/// drain (a second SIGTERM) loses no line of a request that had ended.
///
/// Threading: confined to `loop`; once every loop has stopped, the shutdown path may call
/// `flush` from its own thread (the timers will never fire again).
final class AccessLogBatch {
    let loop: EventLoop
    let fd: Int32
    private var pending: [UInt8] = []
    private var timer: TimerID?
    private var writesThrough = false
    static let batchBytes = Int(PIPE_BUF)
    static let flushDelay: UInt64 = 100_000_000

    init(loop: EventLoop, fd: Int32 = 2) {
        self.loop = loop
        self.fd = fd
        pending.reserveCapacity(Self.batchBytes)
    }

    func append(_ line: LogLine) {
        if writesThrough { return line.withTerminatedBytes { write($0) } }
        line.withTerminatedBytes { bytes in
            if pending.count + bytes.count > Self.batchBytes { flush() }
            guard bytes.count < Self.batchBytes else { return write(bytes) }
            pending.append(contentsOf: bytes)
        }
        if timer == nil {
            // Weak: a loop context (a test's gateway) may go before its batch's timer fires.
            timer = loop.schedule(after: Self.flushDelay) { [weak self] in
                guard let self else { return }
                timer = nil
                flush()
            }
        }
    }

    /// Writes what is batched, and every later line as it comes (shutdown is no time to batch).
    func writeThrough() {
        flush()
        writesThrough = true
    }

    func flush() {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { write($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
        }
    }
}
