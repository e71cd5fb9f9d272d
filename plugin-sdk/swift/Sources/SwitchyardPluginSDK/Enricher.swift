import CSwitchyardPlugin

/// An enricher (`switchyard.enricher/1`), one object per YAML plugin entry: a read-only observer
/// of requests a provider serves in its own format (passthrough `/p/{provider}/...` and native
/// routes). For each call the host offers it the request head; the enricher answers with an
/// observation object that watches that one call, or nil when the call is not for it.
///
/// Threading: `begin` runs on the event loop of the call, concurrently for different calls:
/// keep the enricher immutable after init. Every hook must not block.
public protocol Enricher: AnyObject, Sendable {
    /// Parses the entry's `config` once. Throw `PluginError.config` to reject it.
    init(config: JSONValue, host: PluginHost) throws(PluginError)

    /// The bodies this enricher reads (the heads always arrive). Declare only what you read: the
    /// host does not hand over bodies nobody asked for.
    static var phases: ExchangePhases { get }

    /// A call starts: `request` is its head as sent upstream (credentials removed), borrowed for
    /// this hook. Return the observation for this call, or nil when it is not this enricher's
    /// API (the host takes that as "not mine", not as a failure). A thrown error ends the
    /// enricher's part in the call (fail-open: the request goes on untouched).
    func begin(_ call: PluginCall, info: CallInfo, request: ExchangeHead) throws(PluginError) -> (any EnrichmentObservation)?
}

/// What an enricher learns about one call. The host calls it in this order: `data(.request)*`,
/// `response` (when a response head arrived), `data(.response)*`, `end` (not after a thrown
/// error). Calls never overlap; they run on the call's event loop. The object is released after
/// the last call (the SDK retains it from `begin` until the host's `state_free`).
///
/// Chunk boundaries are arbitrary (an SSE line or a JSON document may be split anywhere) and
/// bodies may be of any size: hold only bounded state (`ObservedBody` does the bounding).
/// Bytes reach the enricher after they went on, so nothing here delays the client.
public protocol EnrichmentObservation: AnyObject {
    /// The response head (status, headers as received). Not called when no response arrived.
    func response(_ head: ExchangeHead) throws(PluginError)

    /// Body bytes of `phase`, borrowed for the call.
    func data(_ chunk: UnsafeRawBufferPointer, phase: ExchangePhase) throws(PluginError)

    /// The call is over: what the enricher learned, reported once (the SDK writes it to the
    /// host as `SY_OUT_META_JSON`). After a failed or cut exchange, report what was counted.
    func end(_ outcome: ExchangeOutcome) throws(PluginError) -> EnrichmentReport
}

extension EnrichmentObservation {
    public func response(_ head: ExchangeHead) throws(PluginError) {}
    public func data(_ chunk: UnsafeRawBufferPointer, phase: ExchangePhase) throws(PluginError) {}
}

/// SY_PHASE_REQUEST / SY_PHASE_RESPONSE bits: the bodies an enricher reads.
public struct ExchangePhases: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let request = ExchangePhases(rawValue: SY_PHASE_REQUEST)
    public static let response = ExchangePhases(rawValue: SY_PHASE_RESPONSE)
}

/// Which body a `data` chunk belongs to.
public enum ExchangePhase: UInt32, Sendable {
    case request = 1, response = 2
}

/// How the exchange ended (`end`'s outcome).
public enum ExchangeOutcome: Equatable, Sendable {
    /// SY_OK: the whole response went to the client.
    case complete
    /// SY_E_CANCELLED: the client left.
    case cancelled
    /// SY_E_UPSTREAM (or another error status): the exchange failed.
    case failed(sy_status)

    init(_ status: sy_status) {
        switch status {
        case SY_OK: self = .complete
        case SY_E_CANCELLED: self = .cancelled
        default: self = .failed(status)
        }
    }
}

/// One head of the exchange (`sy_exchange_head`): the request as sent upstream, or the response
/// as received. Borrowed, like everything in it: valid only during the hook it was passed to
/// (copy what you keep; `method` and `path` make copies).
public struct ExchangeHead {
    /// The upstream's HTTP status (response head); 0 for the request head.
    public let status: Int
    /// "POST", "GET", ... as bytes.
    public let methodBytes: UnsafeRawBufferPointer
    /// As sent upstream, query included: "/v1/chat/completions", "/v1beta/models/m:streamGenerateContent?alt=sse".
    public let pathBytes: UnsafeRawBufferPointer
    public let headers: ResponseHeaders

    init(_ head: UnsafePointer<sy_exchange_head>) {
        status = Int(head.pointee.http_status)
        methodBytes = head.pointee.method.buffer
        pathBytes = head.pointee.path.buffer
        headers = ResponseHeaders(head.pointee.headers, count: head.pointee.header_count)
    }

    public var method: String { String(decoding: methodBytes, as: UTF8.self) }
    public var path: String { String(decoding: pathBytes, as: UTF8.self) }

    /// The path without its query, borrowed.
    public var route: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: pathBytes[..<(pathBytes.firstIndex(of: UInt8(ascii: "?")) ?? pathBytes.endIndex)])
    }

    /// Whether the method is `name` (exact bytes, e.g. "POST").
    public func method(is name: StaticString) -> Bool { PathSegments.bytes(methodBytes, are: name) }
}

extension PluginDefinition {
    public static func enricher<E: Enricher>(_ type: E.Type, id: String, version: String, manifest: String) -> PluginDefinition {
        PluginDefinition(
            id: id, version: version, manifest: manifest, enricherPhases: E.phases.rawValue,
            make: { config, host throws(PluginError) in EnricherBox(try E(config: config, host: host), host: host) },
            answersLocally: false, guardrailPhases: 0
        )
    }
}
