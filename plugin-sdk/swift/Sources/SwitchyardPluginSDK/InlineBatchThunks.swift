import CSwitchyardPlugin

// The C entry points of sy_provider_batch_v1, forwarding to `InlineBatchProvider`. Each runs on
// the host thread that calls it; inputs are borrowed for the call, the builder or sink handle is
// wrapped for that call only. The table is installed only for conforming types, so the cast
// fails only for a host calling a table it was not given.

let batchRequest: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UInt32, sy_bytes, sy_http_out, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, operation, batchID, out, errorOut in
    let box = providerBox(instance)
    guard let batches = box.provider as? any InlineBatchProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try batches.batchRequest(CallInfo(info), operation: operation, batchID: batchID.string, into: UpstreamRequestBuilder(handle: out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let batchCreatePart: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UInt32, UInt64, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, part, index, line, out, errorOut in
    let box = providerBox(instance)
    guard let batches = box.provider as? any InlineBatchProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try batches.batchCreatePart(CallInfo(info), part: part, index: Int(clamping: index), line: line.buffer, out: Sink(out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let batchStatus: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, object, out, errorOut in
    let box = providerBox(instance)
    guard let batches = box.provider as? any InlineBatchProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try batches.batchStatus(CallInfo(info), upstreamObject: object.buffer, out: Sink(out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let batchResult: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, line, out, errorOut in
    let box = providerBox(instance)
    guard let batches = box.provider as? any InlineBatchProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try batches.batchResult(CallInfo(info), line: line.buffer, out: Sink(out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}
