import SwitchyardCore
import SwitchyardHTTP
import SwitchyardUpstream

/// `GET /v1/files/{id}/content`: the provider's bytes streamed to the client as they arrive,
/// with their status, Content-Type and Content-Length as the provider sent them. When the
/// client reads slower than the provider writes, receiving pauses until the client drains, so
/// a file of any size costs one buffer. The provider's 404 (it lost the file) is the gateway's
/// own 404 for the gateway's id.
///
/// Threading: loop-confined. Lifetime: retained by the upstream transfer until it completes.
final class FileContentRelay: UpstreamResponseDelegate {
    private let exchange: NativeRequest
    private let fileID: String
    private var started = false
    private var paused = false
    private var status = 0

    init(exchange: NativeRequest, fileID: String) {
        self.exchange = exchange
        self.fileID = fileID
    }

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        guard !exchange.finished else { return }
        self.status = status
        if status == 404 {
            exchange.transfer?.cancel()
            return exchange.fail(FilesEndpoint.noSuchFile(fileID), detail: "provider \(exchange.provider) has no such file")
        }
        var forwarded = HTTPHeaders()
        var length: Int?
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "content-length" { length = Int(value) }
            if lower == "transfer-encoding" { length = nil }
            if lower == "content-type" || lower == "content-disposition", !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                forwarded.add(name, value)
            }
        }
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" }) { length = nil }
        forwarded.add("X-Switchyard-Provider", exchange.provider)
        exchange.addLimitHeaders(to: &forwarded)
        started = true
        exchange.writer.startStream(status: status, headers: forwarded, contentLength: length)
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        guard started, !exchange.finished else { return }
        exchange.writer.write(chunk)
        if exchange.writer.isBackpressured, !paused, let transfer = exchange.transfer {
            paused = true
            transfer.pauseReceiving()
            exchange.writer.onDrained = { [weak self] in self?.drained() }
        }
    }

    private func drained() {
        guard paused else { return }
        paused = false
        exchange.transfer?.resumeReceiving()
    }

    func upstreamComplete(_ result: UpstreamResult) {
        exchange.transfer = nil
        guard !exchange.finished else { return }
        switch result {
        case .success:
            exchange.writer.finish()
            exchange.finish(status: status, failure: nil)
        case .failure(let error):
            if started {
                // The head is gone: cutting the body is the only honest signal left.
                exchange.writer.abort()
                return exchange.finish(status: status, failure: "provider \(exchange.provider): \(error.message)")
            }
            let message = "Provider \(exchange.provider): \(error.message)"
            exchange.fail(error.isTimeout ? .timeout(message) : .upstream(status: 502, message: message))
        }
    }
}
