import CSwitchyardPlugin
import SwitchyardJSON

/// Where a call's facts come from: the request it belongs to (the gateway's executor, whose
/// plan does not change). Read only when a plugin asks (`call_metadata`, a log line).
///
/// Threading: called on the thread of the hook that asks, under the call registry's lock: read
/// only immutable state, take no lock, call no plugin.
public protocol PluginCallSource: AnyObject {
    var callRequestID: String { get }
    /// The facts, with attempt `attempt`'s provider.
    func callFacts(attempt: Int) -> PluginCallFacts
    /// What answers `call_route` for this call; nil (the default) for a source without routing.
    /// Read under the lock like the rest (return what the source holds); the router builds its
    /// answer after the lock is released.
    var callRouter: (any PluginCallRouter)? { get }
}

extension PluginCallSource {
    public var callRouter: (any PluginCallRouter)? { nil }
}

/// `call_route`'s answers: how the gateway routes a model.
///
/// Threading: any hook's thread, with no lock held; immutable (a snapshot of the routing).
public protocol PluginCallRouter: Sendable {
    /// How the gateway routes `model` (a name or an alias) now, as
    /// `{"model":"<after aliases>","targets":[{"provider":..,"upstream_model":..},...]}` in routing
    /// order; empty when no route serves it.
    func routeJSON(for model: String) -> [UInt8]
}

/// The plan's facts for `call_metadata`.
public struct PluginCallFacts: Sendable {
    public var requestID: String
    /// The operation as the router names it ("chat_completions").
    public var endpoint: String
    /// "translated", "passthrough" ...
    public var mode: String
    /// After aliases.
    public var model: String
    public var requestedModel: String
    /// The attempt's provider instance.
    public var provider: String
    public var stream: Bool

    public init(requestID: String, endpoint: String, mode: String, model: String, requestedModel: String, provider: String, stream: Bool) {
        self.requestID = requestID
        self.endpoint = endpoint
        self.mode = mode
        self.model = model
        self.requestedModel = requestedModel
        self.provider = provider
        self.stream = stream
    }

    /// `{"request_id","endpoint","mode","model","requested_model","provider","attempt","stream"}`.
    func json(attempt: Int) -> [UInt8] {
        var json = JSONWriter(capacity: 192)
        json.raw(#"{"request_id":"#)
        json.string(requestID)
        json.raw(#","endpoint":"#)
        json.string(endpoint)
        json.raw(#","mode":"#)
        json.string(mode)
        json.raw(#","model":"#)
        json.string(model)
        json.raw(#","requested_model":"#)
        json.string(requestedModel)
        json.raw(#","provider":"#)
        json.string(provider)
        json.raw(#","attempt":"#)
        json.number(attempt)
        json.raw(#","stream":"#)
        json.bool(stream)
        json.raw("}")
        return json.bytes
    }
}

extension PluginCall {
    /// `call_metadata`: the facts of the attempt running, as JSON, built when first asked for
    /// that attempt (a call that has ended is not found by `from`, so it answers empty). The
    /// bytes stay valid as long as this object serves this request; the ABI promises them until
    /// the hook that asked returns (the object is reused for a later request).
    var metadata: UnsafeRawBufferPointer {
        PluginCallRegistry.withLock {
            let attempt = currentAttempt
            if let document = metadataDocument, metadataAttempt == attempt { return document }
            guard let source else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            let document = keep(source.callFacts(attempt: attempt).json(attempt: attempt))
            metadataDocument = document
            metadataAttempt = attempt
            return document
        }
    }

    /// `call_route`: the router's answer for `model`, kept like metadata documents (valid as long
    /// as this object serves this request; the ABI promises it until the hook returns), one per
    /// model: asking again for a model returns the same document, so a preparer asking on every
    /// line of a batch keeps one document per model it names. nil for an ended call or a model
    /// no route serves (not kept: nothing to free).
    ///
    /// The registry's lock is process-wide (every request takes it twice): only the lookup and
    /// the insertion happen under it; the JSON is built outside. Two threads asking at once for
    /// a new model may both build it; the first to insert wins and the other's copy is dropped.
    func route(model: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let name = String(decoding: model, as: UTF8.self)
        let (kept, router) = PluginCallRegistry.withLock { () -> (UnsafeRawBufferPointer?, (any PluginCallRouter)?) in
            if let kept = routeDocuments[name] { return (kept, nil) }
            return (nil, source?.callRouter)
        }
        if let kept { return kept }
        guard let router else { return nil }
        let bytes = router.routeJSON(for: name)
        guard !bytes.isEmpty else { return nil }
        return PluginCallRegistry.withLock {
            guard source != nil else { return nil }  // ended while it was built
            if let kept = routeDocuments[name] { return kept }
            let document = keep(bytes)
            routeDocuments[name] = document
            return document
        }
    }

    /// How many `call_route` documents the call keeps (tests).
    var routeDocumentCount: Int { PluginCallRegistry.withLock { routeDocuments.count } }

    /// Copies `bytes` into a document freed with this object (under the registry's lock): each
    /// starts with a link to the one kept before.
    private func keep(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        let link = MemoryLayout<UnsafeMutableRawPointer?>.size
        let storage = UnsafeMutableRawPointer.allocate(byteCount: link + bytes.count, alignment: MemoryLayout<UnsafeMutableRawPointer?>.alignment)
        storage.storeBytes(of: metadataDocuments, as: UnsafeMutableRawPointer?.self)
        bytes.withUnsafeBytes { (storage + link).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        metadataDocuments = storage
        return UnsafeRawBufferPointer(start: storage + link, count: bytes.count)
    }
}

/// Out-of-band HTTP for the calls of one event loop: the gateway's side of `http_send` and
/// `http_cancel`. `send` starts the request and returns at once: the handler's callbacks come
/// later, serialized, ending with `done` exactly once, never inline inside `send`. It answers
/// SY_E_HANDLE when called from a thread it does not serve.
public protocol PluginCallHTTP: AnyObject, Sendable {
    func send(_ request: PluginHTTPRequest, handler: PluginHTTPHandler, for call: PluginCall) -> sy_status
    /// Cancels a request `send` started; its handler still gets `done(SY_E_CANCELLED)`, once,
    /// never inline inside this call. Unknown or finished ids are ignored. Any thread.
    func cancel(_ requestID: UInt64, of call: PluginCall)
    /// Cancels every request of `call` still running, as `cancel` does. Any thread.
    func cancelAll(of call: PluginCall)
}
