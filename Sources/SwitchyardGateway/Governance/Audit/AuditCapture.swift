/// One audited request's bodies as they went by: the client's request body and the bytes the
/// client was sent (a whole answer, or what a stream wrote, error events included), each kept up
/// to `audit.max_body_bytes` (`truncated` set past it). Created by the endpoint only for a
/// request `audit:` matches, so a request that is not audited pays one nil check per write.
///
/// Threading: confined to the request's loop; owned by its executor until `AuditLog.finish`.
final class AuditCapture {
    let audit: AuditLog
    let requestID: String
    let keyID: String?
    let route: String
    let model: String?
    private(set) var request: [UInt8]
    private(set) var response: [UInt8] = []
    private(set) var truncated: Bool

    init(audit: AuditLog, requestID: String, keyID: String?, route: String, model: String?, body: [UInt8]) {
        self.audit = audit
        self.requestID = requestID
        self.keyID = keyID
        self.route = route
        self.model = model
        let limit = audit.config.maxBodyBytes
        truncated = body.count > limit
        request = truncated ? Array(body.prefix(limit)) : body
    }

    /// Bytes written to the client (a stream's chunk, a whole body).
    func append(_ bytes: UnsafeRawBufferPointer) {
        let room = audit.config.maxBodyBytes - response.count
        guard room > 0 else {
            if !bytes.isEmpty { truncated = true }
            return
        }
        if bytes.count > room { truncated = true }
        response.append(contentsOf: bytes.prefix(room))
    }

    func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }
}
