import SwitchyardHTTP
import SwitchyardUpstream

/// The client's request body on its way to the upstream: the server's `RequestBodyStream` read
/// by the upstream transport as a body source, each piece handed to the enrichers right after the
/// transport has taken it (so they never hold it up). Nothing is buffered here: backpressure runs
/// from the upstream socket through the transport's reads to the server's bounded buffer and the
/// client's socket.
///
/// Threading: loop-confined (the request's loop, where both the server and the transport run).
final class PassthroughUpload: UpstreamBodySource, @unchecked Sendable {
    private let stream: RequestBodyStream
    /// The enrichers reading the request body, if any (set once they have begun).
    weak var tap: EnricherTap?
    /// Why the client's body failed (its framing, its pace, its size), once it has.
    private(set) var clientProblem: HTTPParseError?
    private var cancelled = false

    init(_ stream: RequestBodyStream) {
        self.stream = stream
        stream.onReadable = { [weak self] in self?.onReadable?() }
    }

    var length: Int? { stream.declaredLength }

    var onReadable: (() -> Void)?

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        if cancelled { return .failed("the exchange ended") }
        switch stream.read(into: buffer) {
        case .bytes(let count):
            tap?.requestData(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
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

    /// The exchange is over early: later reads fail, and the stream stops calling back.
    func cancel() {
        cancelled = true
        stream.onReadable = nil
        onReadable = nil
    }
}
