import SwitchyardPosix
import SwitchyardUpstream

/// A held file handed to an `UpstreamResponseDelegate` as if it were a download: a 200 head, the
/// bytes in 64 KiB pieces (one per loop turn, so other requests on the loop interleave), then
/// success. Pausing stops the pieces until resumed; cancelling ends it with `.cancelled`. Lets
/// code that reads a provider's file read the gateway's own the same way.
///
/// Threading: loop-confined. Lifetime: retained by its scheduled turn until it completes; it
/// holds its delegate until then (as a transport does), and lets go of it at the end.
final class HeldFileFeed: UpstreamCall {
    private let file: HeldFileReader
    private let loop: EventLoop
    private var delegate: (any UpstreamResponseDelegate)?
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var paused = false
    private var scheduled = false
    private var started = false
    private(set) var isActive = true
    var timings: UpstreamTimings { UpstreamTimings() }

    init(_ file: HeldFileReader, loop: EventLoop, delegate: any UpstreamResponseDelegate) {
        self.file = file
        self.loop = loop
        self.delegate = delegate
        schedule()
    }

    func cancel() {
        guard isActive else { return }
        complete(.failure(UpstreamError(.cancelled, "cancelled")))
    }

    func pauseReceiving() { paused = true }

    func resumeReceiving() {
        paused = false
        schedule()
    }

    private func schedule() {
        guard isActive, !paused, !scheduled else { return }
        scheduled = true
        _ = loop.schedule(after: 0) { [self] in
            scheduled = false
            step()
        }
    }

    private func step() {
        guard isActive, !paused, let delegate else { return }
        if !started {
            started = true
            delegate.upstreamHead(status: 200, headers: [("Content-Type", "application/octet-stream"), ("Content-Length", String(file.size))])
            guard isActive, !paused else { return schedule() }  // cancelled or paused from inside the head
        }
        let read = buffer.withUnsafeMutableBytes { file.read(into: $0) }
        switch read {
        case .bytes(let count):
            buffer.withUnsafeBytes { delegate.upstreamBody(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            schedule()
        case .end:
            complete(.success)
        case .failed(let reason):
            complete(.failure(UpstreamError(.other, reason)))
        case .wait:
            schedule()
        }
    }

    private func complete(_ result: UpstreamResult) {
        isActive = false
        let delegate = delegate
        self.delegate = nil
        delegate?.upstreamComplete(result)
    }
}
