import SwitchyardCore
import SwitchyardHTTP
import SwitchyardUpstream

/// The file part of a client's upload as a body source: the transport pulls, this reads the
/// multipart form on from the client's streamed body, and the part's bytes go straight into the
/// transport's buffer. After the part, the form must close (`--boundary--`); a field after the
/// file (the gateway needed it before: the upstream request had started) or a second file fails
/// the upload with a 400, and so does a form that ends early. The epilogue, if any, is read and
/// dropped before the end is reported, so the client's body is read whole.
///
/// Backpressure: nothing is read from the client that the transport has not asked for (plus the
/// reader's one window), so a slow provider slows the client down.
///
/// Threading: loop-confined (the request's loop, where the server and the transport both run).
/// Lifetime: the transport's; `problem` is read by the upload once the exchange has failed.
final class ClientFilePart: UpstreamBodySource, @unchecked Sendable {
    private let stream: RequestBodyStream
    private let reader: MultipartReader
    /// Why the client's body failed, once it has (answered to the client instead of the
    /// transport's failure).
    private(set) var problem: GatewayError?
    /// File bytes handed to the transport so far.
    private(set) var fileBytes = 0
    private var phase = Phase.file
    private var cancelled = false

    private enum Phase { case file, trailer, epilogue, done }

    init(stream: RequestBodyStream, reader: MultipartReader) {
        self.stream = stream
        self.reader = reader
    }

    var length: Int? { nil }

    var onReadable: (() -> Void)?

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        if cancelled { return .failed("the exchange ended") }
        do throws(GatewayError) {
            while true {
                switch phase {
                case .file:
                    switch try reader.readFileData(into: buffer) {
                    case .bytes(let count):
                        fileBytes += count
                        return .bytes(count)
                    case .partEnd:
                        phase = .trailer
                        continue
                    case .needMore:
                        if let waiting = try pull() { return waiting }
                    }
                case .trailer:
                    switch try reader.nextEvent() {
                    case .end?:
                        phase = .epilogue
                    case .field(let name, _)?:
                        throw GatewayError.invalidRequest(
                            "The form field '\(name)' comes after the file; send every field before the file part.", code: "field_after_file", param: name)
                    case .file?:
                        throw GatewayError.invalidRequest("The form has more than one file part; send one file per upload.", code: "invalid_multipart", param: "file")
                    case nil:
                        if let waiting = try pull() { return waiting }
                    }
                case .epilogue:
                    switch stream.withAvailable({ $0.count }) {
                    case .bytes: continue
                    case .wait: return .wait
                    case .end: phase = .done
                    case .failed(let error): throw Self.clientError(error)
                    }
                case .done:
                    return .end
                }
            }
        } catch {
            problem = error
            return .failed(error.message)
        }
    }

    /// Feeds the reader from the client's body: nil when it took bytes (or saw the end), `.wait`
    /// when the client has sent nothing more yet (the stream calls `readable()` then).
    private func pull() throws(GatewayError) -> UpstreamBodyRead? {
        switch stream.withAvailable({ reader.feed($0) }) {
        case .bytes(let taken):
            // The reader asks for more only with room to spare (its bounds throw first).
            guard taken > 0 else { throw GatewayError.internalError("the multipart reader's window is full") }
            return nil
        case .wait: return .wait
        case .end:
            reader.finishInput()
            return nil
        case .failed(let error): throw Self.clientError(error)
        }
    }

    /// The client's body has more (the upload routes the stream's callback here once the file
    /// part streams).
    func readable() { onReadable?() }

    /// The exchange ended early: later reads fail.
    func cancel() {
        cancelled = true
        onReadable = nil
    }

    static func clientError(_ error: HTTPParseError) -> GatewayError {
        GatewayError(status: error.status, type: "invalid_request_error", code: error.code, message: error.message)
    }
}
