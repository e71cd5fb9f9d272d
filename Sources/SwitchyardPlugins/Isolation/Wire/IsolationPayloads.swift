import CSwitchyardPlugin

/// What the gateway ships with a hook call of a request: the call's token (the runner hands the
/// plugin the same `sy_call` value, so per-call state keyed by it keeps working), `sy_call_info`,
/// the call's metadata JSON (`call_metadata` answers it in the runner), whether the client had
/// gone already (`call_cancelled`) and the hook's deadline (`call_deadline_ns`: CLOCK_MONOTONIC is
/// one clock for every process of the machine, so the instant carries over as it is).
struct WireCall: Equatable {
    var handle: UInt64
    var operation: UInt32
    var stream: UInt32
    var attempt: UInt32
    var requestID: [UInt8]
    var upstreamModel: [UInt8]
    var request: [UInt8]
    var metadata: [UInt8]
    var cancelled: Bool
    var deadline: UInt64 = 0

    func write(to writer: inout WireWriter) {
        writer.u64(handle)
        writer.u32(operation)
        writer.u32(stream)
        writer.u32(attempt)
        writer.data(requestID)
        writer.data(upstreamModel)
        writer.data(request)
        writer.data(metadata)
        writer.u8(cancelled ? 1 : 0)
        writer.u64(deadline)
    }

    init(handle: UInt64, operation: UInt32, stream: UInt32, attempt: UInt32, requestID: [UInt8], upstreamModel: [UInt8],
         request: [UInt8], metadata: [UInt8], cancelled: Bool, deadline: UInt64 = 0) {
        (self.handle, self.operation, self.stream, self.attempt) = (handle, operation, stream, attempt)
        (self.requestID, self.upstreamModel, self.request, self.metadata, self.cancelled) = (requestID, upstreamModel, request, metadata, cancelled)
        self.deadline = deadline
    }

    init(from reader: inout WireReader) throws(WireReader.Truncated) {
        handle = try reader.u64()
        operation = try reader.u32()
        stream = try reader.u32()
        attempt = try reader.u32()
        requestID = try reader.data()
        upstreamModel = try reader.data()
        request = try reader.data()
        metadata = try reader.data()
        cancelled = try reader.u8() != 0
        deadline = try reader.u64()
    }
}

/// One host function a plugin called in the runner during a hook, recorded there and replayed
/// into the real host on the hook's thread (sink writes and builder calls in order) or on the
/// supervisor thread (a guardrail's verdict).
enum HostOp: Equatable {
    case sinkWrite(kind: UInt32, bytes: [UInt8])
    case setMethod([UInt8])
    case setURL([UInt8])
    case addHeader(name: [UInt8], value: [UInt8])
    case appendBody([UInt8])
    case verdictPatch(format: UInt32, document: [UInt8])
    case verdictReject(httpStatus: UInt32, body: [UInt8])
    case verdictHold(UInt64)
    /// begin: the runner's id of the new transformer state.
    case state(UInt64)
    /// instance_new: a metric the plugin defined, with the id the runner gave it.
    case metricDefine(kind: UInt32, name: [UInt8], labels: [UInt8], id: UInt32)
    /// instance_new: which interfaces and hooks the new instance has (the last op).
    case interfaces(WireInterfaces)

    func write(to writer: inout WireWriter) {
        switch self {
        case .sinkWrite(let kind, let bytes): writer.u8(1); writer.u32(kind); writer.data(bytes)
        case .setMethod(let value): writer.u8(2); writer.data(value)
        case .setURL(let value): writer.u8(3); writer.data(value)
        case .addHeader(let name, let value): writer.u8(4); writer.data(name); writer.data(value)
        case .appendBody(let value): writer.u8(5); writer.data(value)
        case .verdictPatch(let format, let document): writer.u8(6); writer.u32(format); writer.data(document)
        case .verdictReject(let status, let body): writer.u8(7); writer.u32(status); writer.data(body)
        case .verdictHold(let bytes): writer.u8(8); writer.u64(bytes)
        case .state(let id): writer.u8(9); writer.u64(id)
        case .metricDefine(let kind, let name, let labels, let id): writer.u8(10); writer.u32(kind); writer.data(name); writer.data(labels); writer.u32(id)
        case .interfaces(let interfaces): writer.u8(11); interfaces.write(to: &writer)
        }
    }

    struct Unknown: Error { let code: UInt8 }

    static func read(from reader: inout WireReader) throws -> HostOp {
        let code = try reader.u8()
        switch code {
        case 1: return .sinkWrite(kind: try reader.u32(), bytes: try reader.data())
        case 2: return .setMethod(try reader.data())
        case 3: return .setURL(try reader.data())
        case 4: return .addHeader(name: try reader.data(), value: try reader.data())
        case 5: return .appendBody(try reader.data())
        case 6: return .verdictPatch(format: try reader.u32(), document: try reader.data())
        case 7: return .verdictReject(httpStatus: try reader.u32(), body: try reader.data())
        case 8: return .verdictHold(try reader.u64())
        case 9: return .state(try reader.u64())
        case 10: return .metricDefine(kind: try reader.u32(), name: try reader.data(), labels: try reader.data(), id: try reader.u32())
        case 11: return .interfaces(try WireInterfaces(from: &reader))
        default: throw Unknown(code: code)
        }
    }
}

/// A hook's answer: its status and `sy_error`, and the host calls it made (in order).
struct WireReply: Equatable {
    var status: Int32
    var httpStatus: UInt32 = 0
    var retryable: Bool = false
    var message: String = ""
    var ops: [HostOp] = []

    func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 32 + ops.count * 16)
        writer.i32(status)
        writer.u32(httpStatus)
        writer.u8(retryable ? 1 : 0)
        writer.string(message)
        writer.u32(UInt32(ops.count))
        for op in ops { op.write(to: &writer) }
        return writer.bytes
    }

    init(status: Int32, httpStatus: UInt32 = 0, retryable: Bool = false, message: String = "", ops: [HostOp] = []) {
        (self.status, self.httpStatus, self.retryable, self.message, self.ops) = (status, httpStatus, retryable, message, ops)
    }

    init(decoding payload: [UInt8]) throws {
        var reader = WireReader(payload)
        status = try reader.i32()
        httpStatus = try reader.u32()
        retryable = try reader.u8() != 0
        message = try reader.string()
        let count = Int(try reader.u32())
        // Each op takes at least one byte: a count beyond the payload is a corrupt frame.
        guard count <= payload.count else { throw WireReader.Truncated() }
        ops.reserveCapacity(count)
        for _ in 0..<count { ops.append(try HostOp.read(from: &reader)) }
    }
}

/// The runner's first frame: the library negotiated (or why not). It starts with the wire
/// protocol's version: a runner of another build (the executable replaced in place, then a
/// restart) is refused with a message that says so, not misread.
struct WireHello: Equatable {
    /// Raised whenever any frame's layout changes. Never 0: a hello without a version field
    /// (its first field a status, SY_OK being 0) reads as a mismatch.
    static let protocolVersion: UInt32 = 2

    var status: Int32
    var message: String = ""
    var id: String = ""
    var version: String = ""
    var manifest: String = ""
    var flags: UInt32 = 0
    var pluginMinor: UInt32 = 0
    var negotiatedMinor: UInt32 = 0

    func encoded() -> [UInt8] {
        var writer = WireWriter()
        writer.u32(Self.protocolVersion)
        writer.i32(status); writer.string(message); writer.string(id); writer.string(version); writer.string(manifest)
        writer.u32(flags); writer.u32(pluginMinor); writer.u32(negotiatedMinor)
        return writer.bytes
    }

    init(status: Int32, message: String = "", id: String = "", version: String = "", manifest: String = "", flags: UInt32 = 0,
         pluginMinor: UInt32 = 0, negotiatedMinor: UInt32 = 0) {
        (self.status, self.message, self.id, self.version, self.manifest) = (status, message, id, version, manifest)
        (self.flags, self.pluginMinor, self.negotiatedMinor) = (flags, pluginMinor, negotiatedMinor)
    }

    init(decoding payload: [UInt8]) throws {
        var reader = WireReader(payload)
        let spoken = try reader.u32()
        guard spoken == Self.protocolVersion else {
            self = WireHello(status: SY_E_ABI, message: "its runner speaks isolation protocol \(spoken), this gateway \(Self.protocolVersion): the executable was replaced since the gateway started (restart the gateway)")
            return
        }
        status = try reader.i32(); message = try reader.string(); id = try reader.string(); version = try reader.string()
        manifest = try reader.string(); flags = try reader.u32(); pluginMinor = try reader.u32(); negotiatedMinor = try reader.u32()
    }
}

/// Which interfaces and hooks the runner's instance has (after instance_new): the proxy tables
/// mirror exactly these.
struct WireInterfaces: Equatable {
    static let prepare: UInt32 = 1, transformer: UInt32 = 2, generate: UInt32 = 4
    /// `prepare`, `transformer` (a complete sy_transformer_v1), `generate` bits; 0 = no provider.
    var providerHooks: UInt32 = 0
    /// SY_PHASE_* the guardrail declares; 0 = no guardrail.
    var guardrailPhases: UInt32 = 0
    var guardrailCallEnd = false

    func write(to writer: inout WireWriter) {
        writer.u32(providerHooks); writer.u32(guardrailPhases)
        writer.u8(guardrailCallEnd ? 1 : 0)
    }

    init() {}

    init(from reader: inout WireReader) throws(WireReader.Truncated) {
        providerHooks = try reader.u32(); guardrailPhases = try reader.u32()
        guardrailCallEnd = try reader.u8() != 0
    }
}

/// A plugin's log line, sent when it logs (any thread).
struct WireLog: Equatable {
    var level: UInt32
    var requestID: [UInt8]
    var message: [UInt8]

    func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 16 + message.count)
        writer.u32(level); writer.data(requestID); writer.data(message)
        return writer.bytes
    }

    init(level: UInt32, requestID: [UInt8], message: [UInt8]) { (self.level, self.requestID, self.message) = (level, requestID, message) }

    init(decoding payload: [UInt8]) throws {
        var reader = WireReader(payload)
        level = try reader.u32(); requestID = try reader.data(); message = try reader.data()
    }
}

/// A metric record (the runner's metric id; the proxy maps it to the host's).
struct WireMetric: Equatable {
    var id: UInt32
    var value: Double
    var labels: [[UInt8]]

    func encoded() -> [UInt8] {
        var writer = WireWriter()
        writer.u32(id); writer.f64(value); writer.u32(UInt32(labels.count))
        for label in labels { writer.data(label) }
        return writer.bytes
    }

    init(id: UInt32, value: Double, labels: [[UInt8]]) { (self.id, self.value, self.labels) = (id, value, labels) }

    init(decoding payload: [UInt8]) throws {
        var reader = WireReader(payload)
        id = try reader.u32(); value = try reader.f64()
        let count = Int(try reader.u32())
        guard count <= payload.count else { throw WireReader.Truncated() }
        labels = []
        for _ in 0..<count { labels.append(try reader.data()) }
    }
}
