import SwitchyardCore
import SwitchyardUpstream

/// Copies a body source (a client's file part) into a held file, pulling as the source has
/// bytes: the same backpressure a provider upload has, with the disk as the reader. Ends once,
/// through `completion`, with the bytes written (the writer not yet committed: the caller
/// commits it in the store job that records the file) or the failure (the part removed).
///
/// Threading: loop-confined (the request's loop). Lifetime: retained by the source's
/// `onReadable` until it ends.
final class HeldFileIntake {
    private let source: any UpstreamBodySource
    private let writer: HeldFileWriter
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var completion: ((Result<Int, GatewayError>) -> Void)?

    init(source: any UpstreamBodySource, writer: HeldFileWriter, completion: @escaping (Result<Int, GatewayError>) -> Void) {
        self.source = source
        self.writer = writer
        self.completion = completion
    }

    func start() {
        source.onReadable = { [self] in pump() }
        pump()
    }

    func cancel() { finish(.failure(.internalError("the upload ended"))) }

    private func pump() {
        while completion != nil {
            let read = buffer.withUnsafeMutableBytes { source.read(into: $0) }
            switch read {
            case .bytes(let count):
                let written = buffer.withUnsafeBytes { raw in
                    Result { () throws(GatewayError) in try writer.append(UnsafeRawBufferPointer(rebasing: raw[..<count])) }
                }
                if case .failure(let error) = written { return finish(.failure(error)) }
            case .wait:
                return
            case .end:
                return finish(.success(writer.count))
            case .failed(let reason):
                return finish(.failure(.invalidRequest("The upload failed: \(reason).")))
            }
        }
    }

    private func finish(_ result: Result<Int, GatewayError>) {
        guard let completion else { return }
        self.completion = nil
        source.onReadable = nil
        if case .failure = result { writer.abort() }
        completion(result)
    }
}
