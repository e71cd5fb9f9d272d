import CSwitchyardPlugin

// The C entry points of switchyard.batch/1, forwarding to the Swift protocols. Each runs on the
// batch request's event loop; lines are borrowed for the call, the sink of `line` for that call
// only. No Swift error crosses the boundary: a thrown PluginError becomes its status and the
// host's sy_error message.

let batchBegin: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UnsafeMutablePointer<sy_state?>?,
                                UnsafeMutablePointer<sy_error>?) -> sy_status = { instance, call, info, outState, errorOut in
    guard let outState, let instance else { return PluginError(SY_E_INVALID, "begin without an instance or state slot").fill(errorOut) }
    let box = Unmanaged<BatchPreparerBox>.fromOpaque(instance).takeUnretainedValue()
    do throws(PluginError) {
        let preparation = try box.preparer.begin(PluginCall(call, host: box.host), info: CallInfo(info))
        // Retained here, released by state_free: the preparation lives exactly as long as the state.
        outState.pointee = Unmanaged.passRetained(BatchPreparationBox(preparation, host: box.host)).toOpaque()
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let batchLine: @convention(c) (sy_state?, UInt64, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, number, line, out, errorOut in
    guard let state else { return PluginError(SY_E_INVALID, "line without a state").fill(errorOut) }
    let box = Unmanaged<BatchPreparationBox>.fromOpaque(state).takeUnretainedValue()
    do throws(PluginError) {
        guard let replacement = try box.preparation.line(number, line.buffer) else { return SY_OK }
        let written = replacement.withUnsafeBytes { Sink(out, host: box.host).send(kind: SY_OUT_JSON, $0) }
        guard written == SY_OK else { throw PluginError(written, "the host refused the rewritten line (status \(written))") }
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let batchEnd: @convention(c) (sy_state?, UnsafeMutablePointer<sy_error>?) -> sy_status = { state, errorOut in
    guard let state else { return PluginError(SY_E_INVALID, "end without a state").fill(errorOut) }
    do throws(PluginError) {
        try Unmanaged<BatchPreparationBox>.fromOpaque(state).takeUnretainedValue().preparation.end()
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let batchStateFree: @convention(c) (sy_state?) -> Void = { state in
    guard let state else { return }
    Unmanaged<BatchPreparationBox>.fromOpaque(state).release()
}

extension ExportedTables {
    nonisolated(unsafe) static let batchTable: UnsafeMutablePointer<sy_batch_v1> = {
        let table = UnsafeMutablePointer<sy_batch_v1>.allocate(capacity: 1)
        table.initialize(to: sy_batch_v1(
            struct_size: UInt32(MemoryLayout<sy_batch_v1>.size),
            begin: batchBegin, line: batchLine, end: batchEnd, state_free: batchStateFree))
        return table
    }()
}

final class BatchPreparerBox: InstanceBox {
    let preparer: any BatchPreparer
    init(_ preparer: any BatchPreparer, host: PluginHost) {
        self.preparer = preparer
        super.init(host: host)
    }
}

/// One batch's preparation behind its `sy_state`, with the instance's host services (for the
/// sink of `line`). Confined to the batch's loop: hooks for one state never overlap.
final class BatchPreparationBox {
    let preparation: any BatchPreparation
    let host: PluginHost
    init(_ preparation: any BatchPreparation, host: PluginHost) {
        self.preparation = preparation
        self.host = host
    }
}
