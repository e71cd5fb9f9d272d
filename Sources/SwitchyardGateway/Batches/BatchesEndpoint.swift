import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream

/// `/v1/batches`: OpenAI's Batch API over every provider that runs batches (plan mode
/// `native_batch`). Create prepares the input and starts the batch at the provider holding the
/// input file (BatchCreation); retrieve and cancel go to the batch's provider and refresh the
/// record (BatchRefresh); the listing comes from the store, newest first, with OpenAI's cursor
/// pagination, and the page's unfinished batches refreshed from their providers.
///
/// Threading: called on the request's loop; every step answers there.
final class BatchesEndpoint: Sendable {
    static let prefix = "/v1/batches"
    let services: GatewayServices
    let usage = BatchUsageLedger()

    init(services: GatewayServices) { self.services = services }

    func handle(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext) throws(GatewayError) {
        guard let store = services.store else { throw GatewayError.unavailable("Batches need the gateway's store, which is not open.") }
        let rest = request.path.dropFirst(Self.prefix.count)
        let requestID = request.requestID
        if rest.isEmpty || rest == "/" {
            switch request.method {
            case "POST":
                let creation = BatchCreation(
                    request: try BatchCreateRequest(request.body), method: "POST", services: services, store: store, context: context,
                    writer: writer, requestID: requestID, startedAt: request.receivedAt)
                creation.start()
            case "GET", "HEAD":
                try list(request, store: store, writer: writer, context: context, requestID: requestID)
            default:
                throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET, POST")
            }
            return
        }
        let parts = rest.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        let id = String(parts[0])
        switch (request.method, parts.count, parts.count == 2 ? parts[1] : "") {
        case ("GET", 1, _), ("HEAD", 1, _):
            refresh(id, action: .retrieve, request: request, store: store, writer: writer, context: context, requestID: requestID)
        case ("POST", 2, "cancel"):
            refresh(id, action: .cancel, request: request, store: store, writer: writer, context: context, requestID: requestID)
        case (_, 1, _):
            throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET")
        case (_, 2, "cancel"):
            throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "POST")
        default:
            throw GatewayError.routeNotFound(method: request.method, path: request.path)
        }
    }

    // MARK: one batch

    private func refresh(_ id: String, action: BatchRefresh.Action, request: HTTPRequest, store: Store, writer: ResponseWriter, context: LoopContext, requestID: String) {
        let method = request.method
        let startedAt = request.receivedAt
        store.read(onLoop: context.upstream.loop, { db throws(StoreError) in try BatchRecord.find(id: id, db) }) { [self] found in
            let call = NativeCall(requestID: requestID, endpoint: "batches", mode: "native_batch", context: context)
            let answer: (Int, [UInt8], String) -> Void = { [self] status, body, provider in
                call.end()
                send(status: status, body: body, provider: provider, to: writer)
                var line = NativeAccessLine(requestID: requestID, endpoint: "batches", mode: "native_batch", method: method, status: status, provider: provider, startedAt: startedAt)
                line.field("batch", id)
                line.record(services, into: context.accessLog)
            }
            switch found {
            case .failure(let error):
                let failure = GatewayError.unavailable("The gateway's store could not be read: \(error.message)")
                answer(failure.status, failure.body, "")
            case .success(nil):
                let missing = GatewayError(status: 404, type: "invalid_request_error", code: "batch_not_found", message: "No such batch: \(id).")
                answer(missing.status, missing.body, "")
            case .success(let record?):
                call.provider = record.provider
                let transfer = BatchRefresh.start(record, action: action, services: services, store: store, context: context, call: call, usage: usage) { result in
                    writer.onClose = nil
                    switch result {
                    case .success(let upstream): answer(upstream.status, upstream.body, record.provider)
                    case .failure(let error): answer(error.status, error.body, record.provider)
                    }
                }
                if let transfer { writer.onClose = { _ in transfer.cancel() } }
            }
        }
    }

    // MARK: listing

    private func list(_ request: HTTPRequest, store: Store, writer: ResponseWriter, context: LoopContext, requestID: String) throws(GatewayError) {
        let query = ListQuery(request.query)
        let limit = try query.limit(default: 20, range: 1...100)
        let after = query["after"]
        let startedAt = request.receivedAt
        store.read(onLoop: context.upstream.loop, { db throws(StoreError) in try BatchRecord.page(after: after, limit: limit, db) }) { [self] found in
            let result: Result<[BatchRecord], GatewayError> = switch found {
            case .failure(let error): .failure(.unavailable("The gateway's store could not be read: \(error.message)"))
            case .success(nil): .failure(.invalidRequest("No such batch for 'after': \(after ?? "").", code: "invalid_cursor", param: "after"))
            case .success(let page?): .success(page)
            }
            switch result {
            case .failure(let error):
                send(status: error.status, body: error.body, provider: "", to: writer)
            case .success(let page):
                refreshUnfinished(Array(page.prefix(limit)), store: store, context: context, requestID: requestID) { records in
                    self.send(status: 200, body: Self.listBody(records, hasMore: page.count > limit), provider: "", to: writer)
                }
            }
            var line = NativeAccessLine(requestID: requestID, endpoint: "batches", mode: "native_batch", method: request.method, status: 200, provider: "", startedAt: startedAt)
            line.field("listed", min(limit, (try? found.get())??.count ?? 0))
            line.record(services, into: context.accessLog)
        }
    }

    /// The page's batches, the unfinished ones as their providers see them now (a provider that
    /// cannot answer leaves its batch as last seen).
    private func refreshUnfinished(_ page: [BatchRecord], store: Store, context: LoopContext, requestID: String, completion: @escaping ([[UInt8]]) -> Void) {
        var objects = page.map(\.object)
        var waiting = 1
        let done = { waiting -= 1; if waiting == 0 { completion(objects) } }
        for (index, record) in page.enumerated() where !record.isTerminal {
            waiting += 1
            let call = NativeCall(requestID: requestID, endpoint: "batches", mode: "native_batch", context: context)
            call.provider = record.provider
            let started = BatchRefresh.start(record, action: .retrieve, services: services, store: store, context: context, call: call, usage: usage) { result in
                call.end()
                if case .success(let answer) = result, answer.succeeded { objects[index] = answer.body }
                done()
            }
            _ = started
        }
        done()
    }

    private static func listBody(_ objects: [[UInt8]], hasMore: Bool) -> [UInt8] {
        var json = JSONWriter(capacity: 256 + objects.reduce(0) { $0 + $1.count })
        json.raw(#"{"object":"list","data":["#)
        for (index, object) in objects.enumerated() {
            if index > 0 { json.raw(",") }
            json.bytes.append(contentsOf: object)
        }
        json.raw(#"],"first_id":"#)
        if let first = objects.first.flatMap({ try? JSONValue.parse($0)["id"]?.stringValue }) { json.string(first) } else { json.raw("null") }
        json.raw(#","last_id":"#)
        if let last = objects.last.flatMap({ try? JSONValue.parse($0)["id"]?.stringValue }) { json.string(last) } else { json.raw("null") }
        json.raw(#","has_more":"#)
        json.bool(hasMore)
        json.raw("}")
        return json.bytes
    }

    private func send(status: Int, body: [UInt8], provider: String, to writer: ResponseWriter) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("X-Switchyard-Mode", "native_batch")])
        if !provider.isEmpty { headers.add("X-Switchyard-Provider", provider) }
        writer.send(status: status, headers: headers, body: body)
    }
}
