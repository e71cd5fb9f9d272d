import CSwitchyardPlugin

// The C entry points of switchyard.provider/1, forwarding to the Swift protocols. Each runs on
// the host thread that calls it; inputs are borrowed for the call, and the sink or builder handle
// is wrapped for that call only (see the header).

let providerPrepare: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_http_out, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, call, info, request, out, errorOut in
    let box = providerBox(instance)
    do throws(PluginError) {
        try box.provider.prepare(CallInfo(info, call: PluginCall(call, host: box.host)), request: request.buffer, into: UpstreamRequestBuilder(handle: out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let providerPassthrough: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_bytes, sy_http_out, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, call, info, method, path, out, errorOut in
    let box = providerBox(instance)
    guard let forwarding = box.provider as? any PassthroughProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try forwarding.passthrough(CallInfo(info, call: PluginCall(call, host: box.host)), method: method.string, path: path.string, into: UpstreamRequestBuilder(handle: out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let providerGenerate: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, call, info, request, out, errorOut in
    let box = providerBox(instance)
    guard let local = box.provider as? any LocalProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try local.generate(CallInfo(info, call: PluginCall(call, host: box.host)), request: request.buffer, out: Sink(out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerBegin: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UInt32, UnsafePointer<sy_header>?, Int, UnsafeMutablePointer<sy_state?>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, call, info, status, headers, count, outState, errorOut in
    guard let outState else { return SY_E_INVALID }
    do throws(PluginError) {
        let box = providerBox(instance)
        let transformer = try box.provider.responseTransformer(CallInfo(info, call: PluginCall(call, host: box.host)), status: Int(status), headers: ResponseHeaders(headers, count: count))
        outState.pointee = Unmanaged.passRetained(TransformerBox(transformer, host: box.host)).toOpaque()
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerData: @convention(c) (sy_state?, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, chunk, out, errorOut in
    guard let state else { return SY_E_INVALID }
    do throws(PluginError) {
        let box = Unmanaged<TransformerBox>.fromOpaque(state).takeUnretainedValue()
        try box.transformer.data(chunk.buffer, out: Sink(out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerEnd: @convention(c) (sy_state?, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, out, errorOut in
    guard let state else { return SY_E_INVALID }
    do throws(PluginError) {
        let box = Unmanaged<TransformerBox>.fromOpaque(state).takeUnretainedValue()
        try box.transformer.end(out: Sink(out, host: box.host))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerFree: @convention(c) (sy_state?) -> Void = { state in
    guard let state else { return }
    Unmanaged<TransformerBox>.fromOpaque(state).release()
}
