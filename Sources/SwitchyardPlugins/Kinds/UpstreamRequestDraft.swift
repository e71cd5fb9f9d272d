import CSwitchyardPlugin

/// The upstream request a provider builds through `sy_http_out` during `prepare`. Every setter
/// copies (the plugin's buffers are only borrowed).
public final class UpstreamRequestDraft {
    public var method = "POST"
    public var url = ""
    public var headers: [(String, String)] = []
    public var body: [UInt8] = []

    init() {}

    func withBuilder<R>(_ body: (UnsafePointer<sy_http_out>) -> R) -> R {
        var out = sy_http_out(
            struct_size: UInt32(MemoryLayout<sy_http_out>.size),
            ctx: Unmanaged.passUnretained(self).toOpaque(),
            set_method: { ctx, value in draft(ctx).method = value.text; return SY_OK },
            set_url: { ctx, value in draft(ctx).url = value.text; return SY_OK },
            add_header: { ctx, name, value in
                let (name, value) = (name.text, value.text)
                // Header injection guard: a plugin must not smuggle CR/LF into the request head.
                guard !name.isEmpty, !name.utf8.contains(where: { $0 < 0x21 || $0 == 0x3A }),
                      !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return SY_E_INVALID }
                draft(ctx).headers.append((name, value))
                return SY_OK
            },
            append_body: { ctx, value in
                draft(ctx).body.append(contentsOf: UnsafeRawBufferPointer(start: value.ptr, count: value.len))
                return SY_OK
            })
        return body(&out)
    }
}

@inline(__always)
private func draft(_ ctx: UnsafeMutableRawPointer?) -> UpstreamRequestDraft {
    Unmanaged<UpstreamRequestDraft>.fromOpaque(ctx!).takeUnretainedValue()
}

extension sy_bytes {
    var text: String { String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self) }
}
