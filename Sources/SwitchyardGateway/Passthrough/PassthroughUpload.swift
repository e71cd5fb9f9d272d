import SwitchyardHTTP
import SwitchyardUpstream

/// The client's request body on its way to the upstream: the server's `RequestBodyStream` read
/// by the upstream transport as a body source. Backpressure runs from the upstream socket through
/// the transport's reads to the server's bounded buffer and the client's socket.
///
/// Enrichers reading the request body get each piece only once the transport has sent it: a
/// piece read now is kept (one reused buffer, at most one read's worth) and handed to them at the
/// next read, which the transport makes after sending it, or when the exchange moves on
/// (`flushToEnrichers`). So they never hold up a byte on its way to the upstream.
///
/// Threading: loop-confined (the request's loop, where both the server and the transport run).
final class PassthroughUpload: UpstreamBodySource, @unchecked Sendable {
    private let stream: RequestBodyStream
    /// The enrichers reading the request body, if any (set once they have begun).
    weak var tap: EnricherTap?
    /// Why the client's body failed (its framing, its pace, its size), once it has.
    private(set) var clientProblem: HTTPParseError?
    private var cancelled = false
    /// The last piece read, not yet handed to the enrichers (reused; empty when none waits).
    private var pending: [UInt8] = []

    init(_ stream: RequestBodyStream) {
        self.stream = stream
        stream.onReadable = { [weak self] in self?.onReadable?() }
    }

    var length: Int? { stream.declaredLength }

    var onReadable: (() -> Void)?

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        if cancelled { return .failed("the exchange ended") }
        flushToEnrichers()  // the transport sent the previous piece before asking for this one
        switch stream.read(into: buffer) {
        case .bytes(let count):
            if tap != nil { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<count])) }
            return .bytes(count)
        case .wait:
            return .wait
        case .end:
            return .end
        case .failed(let error):
            clientProblem = error
            return .failed(error.message)
        }
    }

    /// Hands the piece read last to the enrichers (the upstream has it by now).
    func flushToEnrichers() {
        guard !pending.isEmpty else { return }
        if let tap { pending.withUnsafeBytes { tap.requestData($0) } }
        pending.removeAll(keepingCapacity: true)
    }

    /// The exchange is over early: later reads fail, and the stream stops calling back.
    func cancel() {
        cancelled = true
        stream.onReadable = nil
        onReadable = nil
    }
}
