import SwitchyardCore
import SwitchyardUpstream

/// A provider's whole answer to a native request the gateway made (a file object, a batch, a
/// list): status, headers, body, bounded by `max_upstream_response_bytes`.
struct NativeAnswer {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    var succeeded: Bool { (200..<300).contains(status) }
}

/// Sends one request and collects its answer whole; `completion` runs once, on the loop, never
/// inside `send`. For the small JSON exchanges of the files and batches routes; bodies that may
/// be large (file content) stream through their own delegates instead.
///
/// Threading: loop-confined. Lifetime: retained by the transfer until it completes.
final class NativeExchange: UpstreamResponseDelegate {
    private let provider: String
    private let maxBytes: Int
    private var completion: ((Result<NativeAnswer, GatewayError>) -> Void)?
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    private var transfer: (any UpstreamCall)?

    private init(provider: String, maxBytes: Int, completion: @escaping (Result<NativeAnswer, GatewayError>) -> Void) {
        self.provider = provider
        self.maxBytes = maxBytes
        self.completion = completion
    }

    /// The call to cancel when the client leaves; the completion then runs with a failure.
    @discardableResult
    static func send(
        _ request: UpstreamRequest, provider: String, on client: UpstreamClient, maxBytes: Int,
        completion: @escaping (Result<NativeAnswer, GatewayError>) -> Void
    ) -> any UpstreamCall {
        let exchange = NativeExchange(provider: provider, maxBytes: maxBytes, completion: completion)
        let transfer = client.start(request, delegate: exchange)
        exchange.transfer = transfer
        return transfer
    }

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        guard body.count + chunk.count <= maxBytes else {
            transfer?.cancel()
            return finish(.failure(.upstream(status: 502, message: "Provider \(provider) answered with more than \(maxBytes) bytes.")))
        }
        body.append(contentsOf: chunk)
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        switch result {
        case .success:
            finish(.success(NativeAnswer(status: status, headers: headers, body: body)))
        case .failure(let error):
            let message = "Provider \(provider): \(error.message)"
            finish(.failure(error.isTimeout ? .timeout(message) : .upstream(status: 502, message: message)))
        }
    }

    private func finish(_ result: Result<NativeAnswer, GatewayError>) {
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }
}
