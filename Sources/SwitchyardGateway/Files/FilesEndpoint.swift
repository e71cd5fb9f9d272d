import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardStore

/// `/v1/files…`: OpenAI's Files API over the providers that take files (docs/batches.md,
/// "Files"). The gateway keeps a record per file (store table `files`) mapping its own id to the
/// provider holding the bytes and that provider's id; clients only ever see gateway ids.
///
/// - `POST /v1/files`: `ClientFileUpload`.
/// - `GET /v1/files`: `FileListing`, from the store.
/// - `GET /v1/files/{id}`: the provider's object, fresh, with the gateway's id.
/// - `GET /v1/files/{id}/content`: `FileContentRelay`.
/// - `DELETE /v1/files/{id}`: deleted at the provider (`NativeFileDelete`), then the record.
///
/// A virtual key reaches only its own files (`OwnerFilter`): another key's id is answered like
/// an unknown one, and the listing leaves them out.
///
/// Runs on the connection's loop; a `GatewayError` thrown here is answered in OpenAI's shape.
struct FilesEndpoint {
    static let collection = "/v1/files"
    static let prefix = "/v1/files/"
    let services: GatewayServices

    /// The route's methods, for 405s: what `path` allows.
    static func allowedMethods(_ path: String) -> [String] {
        if path == collection { return ["GET", "POST"] }
        return path.hasSuffix("/content") ? ["GET"] : ["GET", "DELETE"]
    }

    /// Which requests stream their body: only uploads (any size, flat memory).
    static func streamsBody(method: String, target: String) -> Bool {
        method == "POST" && (target == collection || target.hasPrefix(collection + "?"))
    }

    func handle(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool, caller: Caller? = nil) throws(GatewayError) {
        let path = request.path
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let store = services.store else { throw GatewayError.unavailable("This gateway has no store, so it keeps no files.") }
        guard let (id, content) = Self.fileID(path) else { throw GatewayError.routeNotFound(method: request.method, path: path) }
        let allowed = Self.allowedMethods(path).joined(separator: ", ")
        guard Self.allowedMethods(path).contains(method) else {
            let error = GatewayError.methodNotAllowed(method: request.method, path: path, allowed: allowed)
            return writer.send(status: error.status, headers: HTTPHeaders([("Content-Type", "application/json"), ("Allow", allowed)]), body: error.body)
        }
        let exchange = NativeRequest(request: request, writer: writer, services: services, context: context, internalRequest: internalRequest)
        exchange.caller = caller
        guard services.governance != nil else { return try dispatch(request, method: method, id: id, content: content, exchange, store: store) }
        exchange.admitted { () throws(GatewayError) in try dispatch(request, method: method, id: id, content: content, exchange, store: store) }
    }

    private func dispatch(_ request: HTTPRequest, method: String, id: String?, content: Bool, _ exchange: NativeRequest, store: Store) throws(GatewayError) {
        let path = request.path
        switch (method, id, content) {
        case ("POST", nil, _):
            guard let stream = request.bodyStream else {
                _ = try MultipartReader.boundary(contentType: request.headers["content-type"])
                throw GatewayError.invalidRequest("The upload has no body: send a multipart/form-data form with purpose and file.", code: "invalid_multipart")
            }
            let boundary: String
            do throws(GatewayError) { boundary = try MultipartReader.boundary(contentType: request.headers["content-type"]) } catch {
                return exchange.fail(error)
            }
            ClientFileUpload(exchange: exchange, stream: stream, boundary: boundary).start()
        case ("GET", nil, _):
            list(exchange, store: store)
        case (_, let id?, _):
            lookUp(id, exchange, store: store) { record, provider in
                guard let provider else { return heldFile(record, method: method, content: content, exchange, store: store) }
                switch (method, content) {
                case ("GET", false): retrieve(record, provider, exchange)
                case ("GET", true): download(record, provider, exchange)
                default: delete(record, provider, exchange, store: store)
                }
            }
        default:
            throw GatewayError.routeNotFound(method: request.method, path: path)
        }
    }

    /// "/v1/files/ID" → (ID, false); "/v1/files/ID/content" → (ID, true); "/v1/files" →
    /// (nil, false); nil for any other path under it.
    static func fileID(_ path: String) -> (String?, Bool)? {
        guard path != collection else { return (nil, false) }
        let rest = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        switch rest.count {
        case 1 where !rest[0].isEmpty: return (String(rest[0]), false)
        case 2 where !rest[0].isEmpty && rest[1] == "content": return (String(rest[0]), true)
        default: return nil
        }
    }

    /// OpenAI's answer for an id it does not know.
    static func noSuchFile(_ id: String) -> GatewayError {
        GatewayError(status: 404, type: "invalid_request_error", code: nil, param: "id", message: "No such File object: \(id)")
    }

    // MARK: the routes

    private func list(_ exchange: NativeRequest, store: Store) {
        let listing: FileListing
        do throws(GatewayError) { listing = try FileListing(query: exchange.request.query, owners: OwnerFilter(exchange.caller)) } catch { return exchange.fail(error) }
        store.read(on: exchange.writer.loop, { db throws(StoreError) in try listing.read(db) }) { result in
            switch result {
            case .success(.records(let records, let hasMore)):
                exchange.answer(FileListing.json(records, hasMore: hasMore))
            case .success(.unknownAfter):
                exchange.fail(GatewayError.invalidRequest("'after' names no file of this gateway: \(listing.after ?? "").", code: "invalid_after", param: "after"))
            case .failure(let error):
                exchange.fail(GatewayError.unavailable("The gateway could not read its files: \(error.message)"))
            }
        }
    }

    /// The record of `id` and the provider holding it (nil: the gateway holds it), or the client's 404.
    private func lookUp(_ id: String, _ exchange: NativeRequest, store: Store, then: @escaping @Sendable (FileRecord, NativeProvider?) -> Void) {
        let owners = OwnerFilter(exchange.caller)
        store.read(on: exchange.writer.loop, { db throws(StoreError) in try FileRecord.find(id: id, db) }) { [services] result in
            switch result {
            case .success(let record?) where !owners.admits(record.keyID):
                exchange.fail(Self.noSuchFile(id))
            case .success(let record?) where record.provider.isEmpty:
                then(record, nil)
            case .success(let record?):
                exchange.provider = record.provider
                guard let provider = services.nativeProvider(record.provider, for: "files") else {
                    return exchange.fail(GatewayError(
                        status: 503, type: "service_unavailable", code: "provider_unavailable",
                        message: "The file \(id) is held by provider '\(record.provider)', which this gateway no longer serves files from."))
                }
                then(record, provider)
            case .success(nil):
                exchange.fail(Self.noSuchFile(id))
            case .failure(let error):
                exchange.fail(GatewayError.unavailable("The gateway could not read its files: \(error.message)"))
            }
        }
    }

    private func retrieve(_ record: FileRecord, _ provider: NativeProvider, _ exchange: NativeRequest) {
        do throws(GatewayError) {
            let request = try provider.request(
                "GET", "/v1/files/\(record.upstreamID)", headers: [("X-Request-ID", exchange.request.requestID)],
                call: exchange.call.description(EndpointOperation.files.abiValue))
            exchange.transfer = NativeExchange.send(
                request, provider: provider.name, on: exchange.context.upstream, maxBytes: provider.configured.limits.maxResponseBytes
            ) { result in
                exchange.transfer = nil
                guard !exchange.finished else { return }
                do throws(GatewayError) {
                    let answer = try result.get()
                    if answer.status == 404 { throw Self.noSuchFile(record.id) }
                    guard answer.succeeded else { throw answer.gatewayError(provider: provider.name) }
                    exchange.answer(FileObject.rewritten(try answer.object(provider: provider.name, what: "a file"), id: record.id))
                } catch {
                    exchange.fail(error)
                }
            }
        } catch {
            exchange.fail(error)
        }
    }

    private func download(_ record: FileRecord, _ provider: NativeProvider, _ exchange: NativeRequest) {
        do throws(GatewayError) {
            let request = try provider.request(
                "GET", "/v1/files/\(record.upstreamID)/content", headers: [("X-Request-ID", exchange.request.requestID)],
                call: exchange.call.description(EndpointOperation.files.abiValue))
            exchange.transfer = exchange.context.upstream.start(request, delegate: FileContentRelay(exchange: exchange, fileID: record.id))
        } catch {
            exchange.fail(error)
        }
    }

    private func delete(_ record: FileRecord, _ provider: NativeProvider, _ exchange: NativeRequest, store: Store) {
        do throws(GatewayError) {
            exchange.transfer = try NativeFileDelete.start(
                provider: provider, upstreamID: record.upstreamID, call: exchange.call, context: exchange.context,
                maxAnswerBytes: provider.configured.limits.maxResponseBytes
            ) { result in
                exchange.transfer = nil
                guard !exchange.finished else { return }
                switch result {
                case .failure(let error):
                    exchange.fail(error)
                case .success:
                    // Gone at the provider (or already gone there): the record goes too.
                    store.write(on: exchange.writer.loop, { db throws(StoreError) in try FileRecord.delete(id: record.id, db) }) { written in
                        switch written {
                        case .success:
                            exchange.answer(.object(JSONObject([("id", .string(record.id)), ("object", "file"), ("deleted", true)])))
                        case .failure(let error):
                            exchange.fail(GatewayError.unavailable(
                                "The file was deleted at provider '\(provider.name)' but the gateway could not remove its record (\(error.message)); retry the delete."))
                        }
                    }
                }
            }
        } catch {
            exchange.fail(error)
        }
    }

    // MARK: files the gateway holds

    /// A held file: its record is its object, its bytes are on the gateway's disk, and a delete
    /// removes the record first (committed), then the bytes.
    private func heldFile(_ record: FileRecord, method: String, content: Bool, _ exchange: NativeRequest, store: Store) {
        switch (method, content) {
        case ("GET", false):
            exchange.answer(FileObject.json(record))
        case ("GET", true):
            guard let file = services.heldFiles?.open(record.id) else {
                return exchange.fail(.internalError("The content of \(record.id) is missing from the gateway's held files."))
            }
            exchange.transfer = HeldFileFeed(file, loop: exchange.writer.loop, delegate: FileContentRelay(exchange: exchange, fileID: record.id))
        default:
            let held = services.heldFiles
            store.write(on: exchange.writer.loop, { db throws(StoreError) in try FileRecord.delete(id: record.id, db) }) { written in
                switch written {
                case .success:
                    held?.delete(record.id)
                    exchange.answer(.object(JSONObject([("id", .string(record.id)), ("object", "file"), ("deleted", true)])))
                case .failure(let error):
                    exchange.fail(GatewayError.unavailable("The gateway could not delete the file (\(error.message)); retry the delete."))
                }
            }
        }
    }
}
