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
/// pagination, and the page's unfinished batches refreshed from their providers. A virtual key
/// reaches only its own batches (`OwnerFilter`): another key's id is answered like an unknown one.
///
/// Threading: called on the request's loop; every step answers there.
final class BatchesEndpoint: Sendable {
    static let prefix = "/v1/batches"
    let services: GatewayServices
    let usage = BatchUsageLedger()

    init(services: GatewayServices) { self.services = services }

    func handle(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext, internalRequest: Bool, caller: Caller? = nil) throws(GatewayError) {
        guard let store = services.store else { throw GatewayError.unavailable("Batches need the gateway's store, which is not open.") }
        let rest = request.path.dropFirst(Self.prefix.count)
        let method = request.method == "HEAD" ? "GET" : request.method
        let parts = rest.isEmpty || rest == "/" ? [] : rest.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        let action: BatchRefresh.Action?
        switch (parts.count, parts.count == 2 ? parts[1] : "") {
        case (0, _):
            guard method == "GET" || method == "POST" else { throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET, POST") }
            action = nil
        case (1, _) where !parts[0].isEmpty:
            guard method == "GET" else { throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET") }
            action = .retrieve
        case (2, "cancel") where !parts[0].isEmpty:
            guard method == "POST" else { throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "POST") }
            action = .cancel
        default:
            throw GatewayError.routeNotFound(method: request.method, path: request.path)
        }
        let exchange = NativeRequest(request: request, writer: writer, services: services, context: context, internalRequest: internalRequest, operation: .batches)
        exchange.caller = caller
        guard services.governance != nil else { return dispatch(request, action: action, method: method, parts: parts, exchange, store: store) }
        exchange.admitted { [self] in dispatch(request, action: action, method: method, parts: parts, exchange, store: store) }
    }

    private func dispatch(_ request: HTTPRequest, action: BatchRefresh.Action?, method: String, parts: [Substring], _ exchange: NativeRequest, store: Store) {
        switch (action, method) {
        case (nil, "POST"):
            let body: BatchCreateRequest
            do throws(GatewayError) { body = try BatchCreateRequest(request.body) } catch { return exchange.fail(error) }
            guard let governance = services.governance else { return BatchCreation(request: body, exchange: exchange, store: store).start() }
            // A creator whose budget is used up starts no batch (its cost would run past it).
            governance.refuseExhausted(exchange.caller, on: exchange.writer.loop) { refusal in
                if let refusal { return exchange.fail(refusal) }
                BatchCreation(request: body, exchange: exchange, store: store).start()
            }
        case (nil, _):
            list(exchange, store: store)
        case (let action?, _):
            refresh(String(parts[0]), action: action, exchange: exchange, store: store)
        }
    }

    // MARK: one batch

    private func refresh(_ id: String, action: BatchRefresh.Action, exchange: NativeRequest, store: Store) {
        let owners = OwnerFilter(exchange.caller)
        store.read(onLoop: exchange.context.upstream.loop, { db throws(StoreError) in try BatchRecord.find(id: id, db) }) { [self] found in
            switch found {
            case .failure(let error):
                exchange.fail(.unavailable("The gateway's store could not be read: \(error.message)"))
            case .success(let record?) where !owners.admits(record.keyID):
                exchange.fail(Self.noSuchBatch(id))
            case .success(nil):
                exchange.fail(Self.noSuchBatch(id))
            case .success(let record?):
                exchange.provider = record.provider
                exchange.transfer = BatchRefresh.start(
                    record, action: action, services: services, store: store, context: exchange.context, call: exchange.call, usage: usage
                ) { result in
                    exchange.transfer = nil
                    switch result {
                    case .success(let answer): exchange.send(status: answer.status, body: answer.body, failure: nil)
                    case .failure(let error): exchange.fail(error)
                    }
                }
            }
        }
    }

    private static func noSuchBatch(_ id: String) -> GatewayError {
        GatewayError(status: 404, type: "invalid_request_error", code: "batch_not_found", message: "No such batch: \(id).")
    }

    // MARK: listing

    private func list(_ exchange: NativeRequest, store: Store) {
        // OpenAI's parameters: `after` (a batch id), `limit` (1...100, default 20); others ignored.
        var after: String?
        var limit = 20
        for (name, value) in QueryParameters.pairs(exchange.request.query) {
            switch name {
            case "after": after = value
            case "limit":
                guard let number = Int(value), (1...100).contains(number) else {
                    return exchange.fail(.invalidRequest("'limit' must be an integer from 1 to 100, got '\(value)'.", code: "invalid_limit", param: "limit"))
                }
                limit = number
            default: continue
            }
        }
        let (cursor, size, owners) = (after, limit, OwnerFilter(exchange.caller))
        store.read(onLoop: exchange.context.upstream.loop, { db throws(StoreError) in try BatchRecord.page(after: cursor, limit: size, owners: owners, db) }) { [self] found in
            switch found {
            case .failure(let error):
                exchange.fail(.unavailable("The gateway's store could not be read: \(error.message)"))
            case .success(nil):
                exchange.fail(.invalidRequest("'after' names no batch of this gateway: \(after ?? "").", code: "invalid_after", param: "after"))
            case .success(let page?):
                refreshUnfinished(Array(page.prefix(limit)), store: store, exchange: exchange) { objects in
                    exchange.send(status: 200, body: Self.listBody(objects, hasMore: page.count > limit), failure: nil)
                }
            }
        }
    }

    /// The page's batches, the unfinished ones as their providers see them now (a provider that
    /// cannot answer leaves its batch as last seen). A client that leaves cancels what is still
    /// asking.
    private func refreshUnfinished(_ page: [BatchRecord], store: Store, exchange: NativeRequest, completion: @escaping ([[UInt8]]) -> Void) {
        let context = exchange.context
        var objects = page.map(\.object)
        var inFlight: [Int: any UpstreamCall] = [:]
        var waiting = 1
        let done = { waiting -= 1; if waiting == 0 { completion(objects) } }
        for (index, record) in page.enumerated() where !record.isTerminal {
            waiting += 1
            let call = NativeCall(requestID: exchange.request.requestID, endpoint: EndpointOperation.batches.rawValue, mode: ExecutionMode.nativeBatch.rawValue, context: context)
            call.provider = record.provider
            let started = BatchRefresh.start(
                record, action: .retrieve, fetchesResults: false, services: services, store: store, context: context, call: call, usage: usage
            ) { result in
                inFlight[index] = nil
                call.end()
                if case .success(let answer) = result, answer.succeeded { objects[index] = answer.body }
                done()
            }
            if let started { inFlight[index] = started }
        }
        exchange.onStop = { for call in inFlight.values { call.cancel() } }
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
}
