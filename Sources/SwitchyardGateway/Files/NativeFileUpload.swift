import SwitchyardCore
import SwitchyardJSON
import SwitchyardUpstream

/// Uploads one file to a provider's Files API (`POST /v1/files`): the file's bytes, from any
/// body source, wrapped in a multipart body of the gateway's own (`MultipartWriter`). The
/// client's uploads and a batch's rewritten input both go through here.
///
/// Threading: call on the loop of `context`; `completion` runs once, on that loop, never inside
/// `start`.
enum NativeFileUpload {
    /// What the provider answered: its id for the file, and its whole file object.
    struct Uploaded {
        let upstreamID: String
        let object: JSONObject
    }

    /// Starts the upload. `fields` go before the file, after `purpose` (e.g.
    /// `expires_after[anchor]`); `body` gives the file's bytes (its `length`, when known, makes
    /// the request's Content-Length). A non-2xx answer is a failure with the provider's status
    /// and error; a 2xx without a usable `id` a 502. Throws when the provider's hook cannot
    /// address the request. Returns the call to cancel.
    @discardableResult
    static func start(
        provider: NativeProvider, purpose: String, filename: String, fields: [(name: String, value: String)] = [],
        contentType: String = "application/octet-stream", body: any UpstreamBodySource, call: NativeCall, context: LoopContext,
        maxAnswerBytes: Int, completion: @escaping (Result<Uploaded, GatewayError>) -> Void
    ) throws(GatewayError) -> any UpstreamCall {
        let writer = MultipartWriter()
        let source = MultipartUploadBody(
            writer: writer, fields: [(name: "purpose", value: purpose)] + fields, filename: filename, contentType: contentType, file: body)
        let request = try provider.request(
            "POST", "/v1/files", headers: [("Content-Type", writer.contentType), ("X-Request-ID", call.requestID)],
            bodySource: source, call: call.description(EndpointOperation.files.abiValue))
        return NativeExchange.send(request, provider: provider.name, on: context.upstream, maxBytes: maxAnswerBytes) { result in
            completion(result.flatMap { answer in
                guard answer.succeeded else { return .failure(answer.gatewayError(provider: provider.name)) }
                do throws(GatewayError) {
                    let object = try answer.object(provider: provider.name, what: "an upload")
                    guard let id = object["id"]?.stringValue, UpstreamFileID.isUsable(id) else {
                        return .failure(.upstream(status: 502, message: "Provider \(provider.name) answered an upload without a usable file id."))
                    }
                    return .success(Uploaded(upstreamID: id, object: object))
                } catch {
                    return .failure(error)
                }
            })
        }
    }
}

/// A provider's file id as the gateway puts it in a path: plain characters only, so it names
/// exactly one path segment without escaping.
enum UpstreamFileID {
    static func isUsable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 256 && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
            default: false
            }
        }
    }
}
