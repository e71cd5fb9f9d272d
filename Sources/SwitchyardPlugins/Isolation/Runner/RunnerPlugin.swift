import CSwitchyardPlugin
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The plugin as the runner holds it: the negotiated table, the one instance (an isolated entry
/// has exactly one), its interface tables, and the live transformer states by id. Runs each
/// message of the gateway against it and answers with what the plugin returned and recorded.
final class RunnerPlugin: @unchecked Sendable {  // set up on the main thread before the pool runs; states locked
    let api: UnsafePointer<sy_plugin_api>
    let channel: FrameChannel
    private(set) var instance: sy_instance?
    private(set) var provider: UnsafePointer<sy_provider_v1>?
    private(set) var transformer: UnsafePointer<sy_transformer_v1>?
    private(set) var guardrail: UnsafePointer<sy_guardrail_v1>?
    /// Transformer states by id, as address bits (pointers are not Sendable).
    private let states = Mutex<(next: UInt64, live: [UInt64: UInt])>((1, [:]))

    private init(api: UnsafePointer<sy_plugin_api>, channel: FrameChannel) {
        self.api = api
        self.channel = channel
    }

    /// dlopen + negotiation; says hello either way (the gateway reports a failure as a load error).
    static func open(path: String, channel: FrameChannel) -> RunnerPlugin? {
        func refuse(_ message: String) -> RunnerPlugin? {
            channel.send(.hello, call: 0, WireHello(status: SY_E_ABI, message: message).encoded())
            return nil
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return refuse("cannot load as a shared library: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        guard let symbol = dlsym(handle, SY_PLUGIN_ENTRY_SYMBOL) else {
            return refuse("not a Switchyard plugin: it does not export \(SY_PLUGIN_ENTRY_SYMBOL)")
        }
        let entry = unsafeBitCast(symbol, to: sy_plugin_entry_fn.self)
        var block = sy_negotiate(
            struct_size: UInt32(MemoryLayout<sy_negotiate>.size), abi_major: SY_ABI_MAJOR, abi_minor: SY_ABI_MINOR,
            required_minor: 0, host: RunnerHost.table, plugin: nil)
        let status = entry(&block)
        // The gateway checks the answer exactly as it checks an in-process plugin's
        // (`PluginNegotiation`): the runner passes on what the plugin said.
        guard status == SY_OK, let api = block.plugin else {
            channel.send(.hello, call: 0, WireHello(
                status: status == SY_OK ? SY_E_INTERNAL : status,
                message: status == SY_OK ? "\(SY_PLUGIN_ENTRY_SYMBOL) returned SY_OK but no plugin table" : "",
                flags: block.abi_major, pluginMinor: block.required_minor, negotiatedMinor: block.abi_minor).encoded())
            return nil
        }
        let size = Int(UnsafeRawPointer(api).load(as: UInt32.self))
        let required = MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.get_interface)! + MemoryLayout<UnsafeRawPointer>.size
        guard size >= required else {
            return refuse("malformed plugin table: struct_size \(size) is smaller than the ABI 1.0 table (\(required) bytes)")
        }
        let table = api.pointee
        guard let id = table.id, let version = table.version, let manifest = table.manifest_json,
              table.instance_new != nil, table.instance_free != nil, table.get_interface != nil
        else { return refuse("malformed plugin table: a required field or function is NULL") }
        channel.send(.hello, call: 0, WireHello(
            status: SY_OK, id: String(cString: id), version: String(cString: version), manifest: String(cString: manifest),
            flags: table.flags, pluginMinor: table.abi_minor, negotiatedMinor: block.abi_minor).encoded())
        return RunnerPlugin(api: api, channel: channel)
    }

    /// instance_new with the entry's config, then which interfaces the instance has. Main thread.
    func instanceNew(_ frame: IsolationFrame) {
        var error = freshError()
        var created: sy_instance?
        let recording = RunnerRecording(call: nil, replyTo: frame.call)
        RunnerHost.configuring = true
        let status = recording.whileCurrent {
            frame.payload.withUnsafeBytes { config in
                api.pointee.instance_new(nil, config.syBytes, &created, &error)
            }
        }
        RunnerHost.configuring = false
        var ops = recording.ops
        if status == SY_OK {
            instance = created
            var interfaces = WireInterfaces()
            describe(&interfaces)
            ops.append(.interfaces(interfaces))
        }
        channel.send(.reply, call: frame.call, Self.reply(status, &error, ops).encoded())
    }

    private func describe(_ interfaces: inout WireInterfaces) {
        if let raw = api.pointee.get_interface(instance, SY_IFACE_PROVIDER) {
            let table = raw.assumingMemoryBound(to: sy_provider_v1.self)
            let size = Int(table.pointee.struct_size)
            if size >= MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.generate)! {
                provider = table
                if table.pointee.prepare != nil { interfaces.providerHooks |= WireInterfaces.prepare }
                if let response = table.pointee.response, response.pointee.struct_size >= UInt32(MemoryLayout<sy_transformer_v1>.size),
                   response.pointee.begin != nil, response.pointee.data != nil, response.pointee.end != nil, response.pointee.state_free != nil {
                    transformer = response
                    interfaces.providerHooks |= WireInterfaces.transformer
                }
                let generateEnd = MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.generate)! + MemoryLayout<UnsafeRawPointer>.size
                if size >= generateEnd, table.pointee.generate != nil { interfaces.providerHooks |= WireInterfaces.generate }
            }
        }
        if let raw = api.pointee.get_interface(instance, SY_IFACE_GUARDRAIL) {
            let table = raw.assumingMemoryBound(to: sy_guardrail_v1.self)
            if Int(table.pointee.struct_size) >= MemoryLayout<sy_guardrail_v1>.size, table.pointee.inspect != nil {
                guardrail = table
                interfaces.guardrailPhases = table.pointee.phases & (SY_PHASE_REQUEST | SY_PHASE_RESPONSE | SY_PHASE_CHUNK)
                interfaces.guardrailCallEnd = table.pointee.call_end != nil
            }
        }
    }

    /// One hook call, on a pool thread.
    func handle(_ frame: IsolationFrame) {
        var reader = WireReader(frame.payload)
        do {
            switch frame.type {
            case .prepare, .generate:
                let call = try WireCall(from: &reader)
                let body = try reader.data()
                answer(frame, frame.type == .prepare ? prepare(call, body, frame.call) : generate(call, body, frame.call))
            case .begin:
                let call = try WireCall(from: &reader)
                let status = try reader.u32()
                let count = Int(try reader.u32())
                var headers: [([UInt8], [UInt8])] = []
                for _ in 0..<min(count, frame.payload.count) { headers.append((try reader.data(), try reader.data())) }
                answer(frame, begin(call, status, headers, frame.call))
            case .data, .end:
                let state = try reader.u64()
                let cancelled = try reader.u8() != 0
                let chunk = frame.type == .data ? try reader.data() : []
                answer(frame, transform(frame.type, state, cancelled, chunk, frame.call))
            case .stateFree:
                let state = try reader.u64()
                if let transformer, let freed = states.withLock({ $0.live.removeValue(forKey: state) }) {
                    transformer.pointee.state_free(sy_state(bitPattern: freed))
                }
            case .inspect:
                let call = try WireCall(from: &reader)
                let phase = try reader.u32()
                let json = try reader.data()
                inspect(call, phase, json, frame.call)
            case .callEnd:
                let call = try reader.u64()
                guardrail?.pointee.call_end?(instance, sy_call(bitPattern: UInt(call)))
            default:
                answer(frame, WireReply(status: SY_E_INTERNAL, message: "the runner got a message it does not take (\(frame.type))"))
            }
        } catch {
            answer(frame, WireReply(status: SY_E_INTERNAL, message: "the runner got a malformed \(frame.type) message"))
        }
    }

    private func answer(_ frame: IsolationFrame, _ reply: WireReply) {
        var payload = reply.encoded()
        if payload.count > IsolationFrame.maximumReplyBytes - IsolationFrame.headerBytes {
            // The gateway would take an oversize frame for a broken runner: say what happened instead.
            payload = WireReply(status: SY_E_NOMEM, httpStatus: 502,
                                message: "the plugin's output for one call is larger than \(IsolationFrame.maximumReplyBytes) bytes (the limit for an isolated plugin)").encoded()
        }
        channel.send(.reply, call: frame.call, payload)
    }

    private static func reply(_ status: sy_status, _ error: inout sy_error, _ ops: [HostOp]) -> WireReply {
        let message = withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return WireReply(status: status, httpStatus: error.http_status, retryable: error.retryable != 0, message: message, ops: ops)
    }

    private func prepare(_ call: WireCall, _ body: [UInt8], _ id: UInt64) -> WireReply {
        guard let prepare = provider?.pointee.prepare else { return WireReply(status: SY_E_UNSUPPORTED, message: "no prepare hook") }
        var error = freshError()
        let recording = RunnerRecording(call: call, replyTo: id, httpOut: true)
        let status = recording.whileLive { recording.whileCurrent {
            call.withInfo { info in body.withUnsafeBytes { prepare(instance, call.token, info, $0.syBytes, recording.httpOut, &error) } }
        } }
        return Self.reply(status, &error, recording.ops)
    }

    private func generate(_ call: WireCall, _ body: [UInt8], _ id: UInt64) -> WireReply {
        guard let provider, Int(provider.pointee.struct_size) >= MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.passthrough)!,
              let generate = provider.pointee.generate
        else { return WireReply(status: SY_E_UNSUPPORTED, message: "no generate hook") }
        var error = freshError()
        let recording = RunnerRecording(call: call, replyTo: id, sink: true)
        let status = recording.whileLive { recording.whileCurrent {
            call.withInfo { info in body.withUnsafeBytes { generate(instance, call.token, info, $0.syBytes, recording.sink, &error) } }
        } }
        return Self.reply(status, &error, recording.ops)
    }

    private func begin(_ call: WireCall, _ httpStatus: UInt32, _ headers: [([UInt8], [UInt8])], _ id: UInt64) -> WireReply {
        guard let transformer else { return WireReply(status: SY_E_UNSUPPORTED, message: "no response transformer") }
        var error = freshError()
        var state: sy_state?
        let recording = RunnerRecording(call: call, replyTo: id)
        let status = recording.whileCurrent {
            call.withInfo { info in
                withHeaders(headers) { raw, count in transformer.pointee.begin(instance, call.token, info, httpStatus, raw, count, &state, &error) }
            }
        }
        guard status == SY_OK else {
            if let state { transformer.pointee.state_free(state) }
            return Self.reply(status, &error, [])
        }
        let stateID = states.withLock { states in
            let id = states.next
            states.next += 1
            states.live[id] = UInt(bitPattern: state)
            return id
        }
        return Self.reply(status, &error, [.state(stateID)])
    }

    private func transform(_ type: IsolationMessage, _ stateID: UInt64, _ cancelled: Bool, _ chunk: [UInt8], _ id: UInt64) -> WireReply {
        guard let transformer, let bits = states.withLock({ $0.live[stateID] }) else {
            return WireReply(status: SY_E_INTERNAL, message: "no transformer state \(stateID) in this runner")
        }
        let state = sy_state(bitPattern: bits)
        var error = freshError()
        let recording = RunnerRecording(call: WireCall(handle: 0, operation: 0, stream: 0, attempt: 0, requestID: [], upstreamModel: [],
                                                       request: [], metadata: [], cancelled: cancelled), replyTo: id, sink: true)
        let status = recording.whileCurrent {
            if type == .data {
                return chunk.withUnsafeBytes { transformer.pointee.data(state, $0.syBytes, recording.sink, &error) }
            }
            return transformer.pointee.end(state, recording.sink, &error)
        }
        return Self.reply(status, &error, recording.ops)
    }

    private func inspect(_ call: WireCall, _ phase: UInt32, _ json: [UInt8], _ id: UInt64) {
        guard let inspect = guardrail?.pointee.inspect else {
            channel.send(.verdict, call: id, WireReply(status: SY_E_UNSUPPORTED, message: "no inspect hook").encoded())
            return
        }
        var error = freshError()
        let recording = RunnerRecording(call: call, replyTo: id, verdict: true)
        RunnerRecording.verdicts.withLock { $0[recording.verdict] = recording }
        let status = recording.whileCurrent {
            call.withInfo { info in json.withUnsafeBytes { inspect(instance, call.token, info, phase, $0.syBytes, recording.verdict, &error) } }
        }
        if status == SY_PAUSE { return }  // the plugin resumes it (RunnerHost.resume), from any thread
        // Finished now: unless the plugin resumed it already (a misuse the gateway would refuse too).
        guard RunnerRecording.verdicts.withLock({ $0.removeValue(forKey: recording.verdict) }) != nil else { return }
        channel.send(.verdict, call: id, Self.reply(status, &error, recording.ops).encoded())
    }
}

extension WireCall {
    var token: sy_call? { sy_call(bitPattern: UInt(handle)) }

    func withInfo<R>(_ body: (UnsafePointer<sy_call_info>) -> R) -> R {
        requestID.withUnsafeBytes { id in
            upstreamModel.withUnsafeBytes { model in
                request.withUnsafeBytes { request in
                    var info = sy_call_info(
                        struct_size: UInt32(MemoryLayout<sy_call_info>.size), operation: operation, stream: stream, attempt: attempt,
                        request_id: id.syBytes, upstream_model: model.syBytes, request: request.syBytes)
                    return body(&info)
                }
            }
        }
    }
}

/// Lends `body` the headers as a `sy_header` array (borrowed for the call), all bytes in one buffer.
func withHeaders<R>(_ headers: [([UInt8], [UInt8])], _ body: (UnsafePointer<sy_header>?, Int) -> R) -> R {
    var joined: [UInt8] = []
    for (name, value) in headers { joined += name; joined += value }
    return joined.withUnsafeBufferPointer { buffer in
        var lent: [sy_header] = []
        lent.reserveCapacity(headers.count)
        var offset = 0
        for (name, value) in headers {
            let nameBytes = sy_bytes(ptr: buffer.baseAddress.map { $0 + offset }, len: name.count)
            offset += name.count
            let valueBytes = sy_bytes(ptr: buffer.baseAddress.map { $0 + offset }, len: value.count)
            offset += value.count
            lent.append(sy_header(name: nameBytes, value: valueBytes))
        }
        return lent.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}
