import CSwitchyardPlugin

// The C entry points of switchyard.enricher/1, forwarding to the Swift protocols. Each runs on
// the call's event loop; heads and chunks are borrowed for the call, the sink of `end` for that
// call only. No Swift error crosses the boundary: a thrown PluginError becomes its status and
// the host's sy_error message.

let enricherBegin: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UnsafePointer<sy_exchange_head>?,
                                   UnsafeMutablePointer<sy_state?>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, call, info, head, outState, errorOut in
    guard let outState, let head else { return PluginError(SY_E_INVALID, "begin without a request head or state slot").fill(errorOut) }
    let box = enricherBox(instance)
    do throws(PluginError) {
        guard let observation = try box.enricher.begin(PluginCall(call, host: box.host), info: CallInfo(info), request: ExchangeHead(head)) else {
            return PluginError(SY_E_UNSUPPORTED, "not this enricher's API").fill(errorOut)
        }
        // Retained here, released by state_free: the observation lives exactly as long as the state.
        outState.pointee = Unmanaged.passRetained(ObservationBox(observation, host: box.host)).toOpaque()
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let enricherResponse: @convention(c) (sy_state?, UnsafePointer<sy_exchange_head>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, head, errorOut in
    guard let state, let head else { return PluginError(SY_E_INVALID, "response without a state or head").fill(errorOut) }
    do throws(PluginError) {
        try observationBox(state).observation.response(ExchangeHead(head))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let enricherData: @convention(c) (sy_state?, UInt32, sy_bytes, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, phase, chunk, errorOut in
    guard let state else { return PluginError(SY_E_INVALID, "data without a state").fill(errorOut) }
    guard let phase = ExchangePhase(rawValue: phase) else { return PluginError(SY_E_INVALID, "data for unknown phase \(phase)").fill(errorOut) }
    do throws(PluginError) {
        try observationBox(state).observation.data(chunk.buffer, phase: phase)
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let enricherEnd: @convention(c) (sy_state?, sy_status, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, outcome, out, errorOut in
    guard let state else { return PluginError(SY_E_INVALID, "end without a state").fill(errorOut) }
    let box = observationBox(state)
    do throws(PluginError) {
        let report = try box.observation.end(ExchangeOutcome(outcome)).json
        let written = report.withUnsafeBytes { Sink(out, host: box.host).send(kind: SY_OUT_META_JSON, $0) }
        guard written == SY_OK else { throw PluginError(written, "the host refused the enrichment report (status \(written))") }
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let enricherStateFree: @convention(c) (sy_state?) -> Void = { state in
    guard let state else { return }
    Unmanaged<ObservationBox>.fromOpaque(state).release()
}

extension ExportedTables {
    nonisolated(unsafe) static let enricherTable: UnsafeMutablePointer<sy_enricher_v1> = {
        let table = UnsafeMutablePointer<sy_enricher_v1>.allocate(capacity: 1)
        table.initialize(to: sy_enricher_v1(
            struct_size: UInt32(MemoryLayout<sy_enricher_v1>.size),
            phases: definition?.enricherPhases ?? 0,
            begin: enricherBegin,
            response: enricherResponse,
            data: enricherData,
            end: enricherEnd,
            state_free: enricherStateFree
        ))
        return table
    }()
}

final class EnricherBox: InstanceBox {
    let enricher: any Enricher
    init(_ enricher: any Enricher, host: PluginHost) {
        self.enricher = enricher
        super.init(host: host)
    }
}

/// One call's observation behind its `sy_state`, with the instance's host services (for the
/// sink of `end`). Confined to the call's loop: hooks for one state never overlap.
final class ObservationBox {
    let observation: any EnrichmentObservation
    let host: PluginHost
    init(_ observation: any EnrichmentObservation, host: PluginHost) {
        self.observation = observation
        self.host = host
    }
}

@inline(__always)
func enricherBox(_ instance: sy_instance?) -> EnricherBox {
    Unmanaged<EnricherBox>.fromOpaque(instance!).takeUnretainedValue()
}

@inline(__always)
func observationBox(_ state: sy_state) -> ObservationBox {
    Unmanaged<ObservationBox>.fromOpaque(state).takeUnretainedValue()
}
