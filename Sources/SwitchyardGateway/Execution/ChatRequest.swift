import SwitchyardCore

/// A validated chat request: the client's body, untouched, and where its `model` sits, so each
/// attempt can forward it with only the model rewritten.
struct ChatRequest {
    let body: [UInt8]
    let head: RequestHead
    let receivedAt: UInt64

    init(body: [UInt8], receivedAt: UInt64) throws(GatewayError) {
        self.body = body
        self.receivedAt = receivedAt
        do {
            head = try body.withUnsafeBytes { raw in try RequestHead(chatCompletion: raw) }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError.internalError("\(error)")
        }
    }

    func body(forUpstreamModel model: String) -> [UInt8] {
        bodyWithModel(body, range: head.modelRange, requested: head.model, upstream: model) ?? body
    }
}
