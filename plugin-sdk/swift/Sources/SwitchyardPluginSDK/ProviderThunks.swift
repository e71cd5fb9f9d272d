import CSwitchyardPlugin

// The C entry points of switchyard.provider/1, forwarding to the Swift protocols. Each runs on
// the host thread that calls it; inputs are borrowed for the call (see the header).

let providerPrepare: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, UnsafePointer<sy_http_out>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, request, out, errorOut in
    guard let out else { return SY_E_INVALID }
    do throws(PluginError) {
        try instanceBox(instance).provider.prepare(CallInfo(info), request: request.buffer, into: UpstreamRequestBuilder(raw: out))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let providerGenerate: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, UnsafePointer<sy_sink>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, request, out, errorOut in
    guard let out, let local = instanceBox(instance).provider as? any LocalProvider else { return SY_E_UNSUPPORTED }
    do throws(PluginError) {
        try local.generate(CallInfo(info), request: request.buffer, out: Sink(out))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerBegin: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UInt32, UnsafePointer<sy_header>?, Int, UnsafeMutablePointer<sy_state?>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, _, info, status, headers, count, outState, errorOut in
    guard let outState else { return SY_E_INVALID }
    do throws(PluginError) {
        let transformer = try instanceBox(instance).provider.responseTransformer(CallInfo(info), status: Int(status), headers: ResponseHeaders(headers, count: count))
        outState.pointee = Unmanaged.passRetained(TransformerBox(transformer)).toOpaque()
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerData: @convention(c) (sy_state?, sy_bytes, UnsafePointer<sy_sink>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, chunk, out, errorOut in
    guard let state, let out else { return SY_E_INVALID }
    do throws(PluginError) {
        try Unmanaged<TransformerBox>.fromOpaque(state).takeUnretainedValue().transformer.data(chunk.buffer, out: Sink(out))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerEnd: @convention(c) (sy_state?, UnsafePointer<sy_sink>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    state, out, errorOut in
    guard let state, let out else { return SY_E_INVALID }
    do throws(PluginError) {
        try Unmanaged<TransformerBox>.fromOpaque(state).takeUnretainedValue().transformer.end(out: Sink(out))
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

let transformerFree: @convention(c) (sy_state?) -> Void = { state in
    guard let state else { return }
    Unmanaged<TransformerBox>.fromOpaque(state).release()
}
