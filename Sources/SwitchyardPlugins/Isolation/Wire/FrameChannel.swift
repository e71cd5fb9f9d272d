import Synchronization
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One end of the gateway ↔ runner socket (AF_UNIX SOCK_STREAM from socketpair). Any thread may
/// `send` (frames are written whole under a lock, so they never interleave) or `post` (the same,
/// handed to a writer thread: for event-loop threads, which must not wait for a runner that has
/// stopped reading); one thread reads (`receive`). The descriptor is closed by `close()` only,
/// once, under the write lock: no write is in progress then, and none happens after (the number
/// could name another file by then). `shutdownBoth` and the close itself hold `descriptorLock`,
/// so a shutdown from another thread never reaches a reused number either.
final class FrameChannel: @unchecked Sendable {  // the descriptor is immutable; writes are locked
    let descriptor: Int32
    private let writeLock = Mutex<Bool>(false)  // true once closed
    /// Frames posted and not yet written, with the bytes posted and not yet written (frames the
    /// writer took included), and the count of frames for the writer thread.
    private let outbox = Mutex<(frames: [[UInt8]], bytes: Int)>(([], 0))
    /// At most this many bytes wait for the writer: a runner that stops reading cannot make the
    /// gateway queue without end (a frame is always taken when nothing waits).
    static let outboxLimitBytes = 32 << 20
    private let outboxCount = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let writerStarted = Atomic<Bool>(false)
    private var decoder: FrameDecoder  // the reading thread's only
    private var chunk = [UInt8](repeating: 0, count: 65536)  // the reading thread's only
    private let closed = Atomic<Bool>(false)
    private let descriptorLock = Mutex<Bool>(false)  // true once the descriptor is closed

    /// `maximumIncomingBytes`: the largest frame read (the gateway takes less from a runner than
    /// it sends).
    init(descriptor: Int32, maximumIncomingBytes: Int = IsolationFrame.maximumBytes) {
        self.descriptor = descriptor
        decoder = FrameDecoder(maximumBytes: maximumIncomingBytes)
        sem_init(outboxCount, 0, 0)
    }

    deinit {
        sem_destroy(outboxCount)
        outboxCount.deallocate()
    }

    /// Writes one frame; false when the other end is gone (the reader then sees EOF and handles it).
    @discardableResult
    func send(_ type: IsolationMessage, call: UInt64, _ payload: [UInt8]) -> Bool {
        write(IsolationFrame(type: type, call: call, payload: payload).encoded())
    }

    /// Starts the writer thread `post` needs (ended by `close`). The supervisor calls it once,
    /// for a new channel: a failed thread start then fails a spawn, not an event loop's call.
    func startWriter() {
        guard !writerStarted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        startDetachedThread { [self] in drainOutbox() }
    }

    /// Queues one frame for the channel's writer thread (`startWriter`, ended by
    /// `close`) and returns at once; false (nothing queued) when `outboxLimitBytes` wait already.
    @discardableResult
    func post(_ type: IsolationMessage, call: UInt64, _ payload: [UInt8]) -> Bool {
        let bytes = IsolationFrame(type: type, call: call, payload: payload).encoded()
        let queued = outbox.withLock { box -> Bool in
            guard box.bytes == 0 || box.bytes + bytes.count <= Self.outboxLimitBytes else { return false }
            box.frames.append(bytes)
            box.bytes += bytes.count
            return true
        }
        guard queued else { return false }
        sem_post(outboxCount)
        return true
    }

    private func drainOutbox() {
        while true {
            while sem_wait(outboxCount) != 0 {}
            if closed.load(ordering: .acquiring) { return }
            let frames = outbox.withLock { box in
                defer { box.frames.removeAll() }
                return box.frames
            }
            for bytes in frames {
                guard write(bytes) else { return }
                outbox.withLock { $0.bytes -= bytes.count }
            }
        }
    }

    private func write(_ bytes: [UInt8]) -> Bool {
        writeLock.withLock { isClosed in
            guard !isClosed else { return false }
            return bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    // MSG_NOSIGNAL: a dead runner is an error here, not a SIGPIPE for the gateway.
                    let written = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if written < 0 {
                        if errno == EINTR { continue }
                        if errno == EAGAIN {
                            // The gateway's end is non-blocking (its supervisor polls it): wait
                            // for room. A runner that stops reading is killed at its hook
                            // timeout, which ends this wait with an error.
                            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                            _ = poll(&poller, 1, 1000)
                            continue
                        }
                        return false
                    }
                    offset += written
                }
                return true
            }
        }
    }

    enum Received {
        case frame(IsolationFrame)
        /// More bytes are needed (nothing complete yet; the read would block or was interrupted).
        case wouldBlock
        case end
        case broken(String)
    }

    /// Reads what is available (one read) and returns the next whole frame; call again until
    /// `.wouldBlock`. Blocking or not depends on the descriptor.
    func receive() -> Received {
        do {
            if let frame = try decoder.next() { return .frame(frame) }
        } catch {
            return .broken(error.description)
        }
        let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return .wouldBlock }
            return .broken(String(cString: strerror(errno)))
        }
        if count == 0 {
            do { try decoder.finish() } catch { return .broken(error.description) }
            return .end
        }
        chunk.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        do {
            if let frame = try decoder.next() { return .frame(frame) }
        } catch {
            return .broken(error.description)
        }
        return .wouldBlock
    }

    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // A writer blocked on a full socket holds the write lock: the shutdown ends its wait
        // (EPIPE) first. The descriptor is still ours here: only this close() closes it.
        shutdownBoth()
        writeLock.withLock { isClosed in
            isClosed = true
            descriptorLock.withLock { descriptorClosed in
                descriptorClosed = true
                _ = Glibc.close(descriptor)
            }
        }
        sem_post(outboxCount)  // the writer thread, if any, sees `closed` and ends
    }

    /// Stops both directions without closing (wakes a reader blocked in read, ends a write
    /// waiting for room); nothing once closed. Any thread.
    func shutdownBoth() {
        descriptorLock.withLock { descriptorClosed in
            if !descriptorClosed { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }
}
