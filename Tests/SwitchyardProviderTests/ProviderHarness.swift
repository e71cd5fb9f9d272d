import CSwitchyardPlugin
import Glibc
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Drives a built provider plugin (`lib<Product>.so`, loaded with dlopen exactly as the gateway
/// does) through its ABI: `prepare` with a canonical body, then the response transformer fed
/// with upstream bytes in chunks of a chosen size. Everything runs on the test's thread.
struct ProviderHarness {
    let provider: ProviderPlugin
    let instance: PluginInstance

    /// Loads `lib<product>.so` from the build directory the test binary runs from.
    init(product: String, config: JSONValue = [:]) throws {
        let path = Self.buildDirectory + "/lib\(product).so"
        guard access(path, R_OK) == 0 else {
            throw HarnessError("\(path) is missing: run `swift build` before `swift test` (scripts/test.sh does)")
        }
        let library = try PluginLibrary.load(path: path)
        instance = try library.instantiate(name: product, configJSON: config.serialized())
        guard let table = instance.interface(SY_IFACE_PROVIDER),
              let provider = ProviderPlugin(name: product, instance: instance.pluginInstance, table: table)
        else { throw HarnessError("\(product) does not implement \(SY_IFACE_PROVIDER)") }
        self.provider = provider
    }

    /// A call description; `request` is the canonical body lent to every hook (`sy_call_info.request`).
    static func call(_ operation: UInt32 = SY_OP_CHAT_COMPLETIONS, stream: Bool = false, model: String = "upstream-model",
                     request: JSONValue? = nil) -> CallDescription {
        CallDescription(operation: operation, stream: stream, attempt: 0, requestID: "req-test", upstreamModel: model,
                        request: request?.serialized() ?? [])
    }

    /// The upstream request `prepare` builds for `body`, or the plugin's failure.
    func prepare(_ body: JSONValue, _ call: CallDescription = call()) -> Result<UpstreamRequestBuilder, PluginFailure> {
        var call = call
        call.request = body.serialized()
        return call.request.withUnsafeBytes { provider.prepare(call, body: $0) }
    }

    /// The passthrough request the provider builds for a client's `method` on `/p/{provider}{path}`;
    /// nil when the provider takes no passthrough.
    func passthrough(_ method: String, _ path: String) -> Result<UpstreamRequestBuilder, PluginFailure>? {
        let call = CallDescription(operation: SY_OP_PASSTHROUGH, stream: false, attempt: 0, requestID: "req-test", upstreamModel: "")
        return provider.passthrough(call, method: method, path: path)
    }

    /// Runs the response transformer over `upstream` split into `chunkSize`-byte pieces (1 finds
    /// parsers that assume whole events), returning everything written to the sink.
    func respond(_ call: CallDescription = call(), status: Int = 200, headers: [(name: String, value: String)] = [],
                 body upstream: [UInt8], chunkSize: Int = .max) -> Transcript {
        let transcript = Transcript()
        switch provider.beginResponse(call, status: status, headers: headers) {
        case .failure(let failure):
            transcript.failure = failure
        case .success(let transformation):
            var offset = 0
            while offset < upstream.count, transcript.failure == nil {
                let end = min(upstream.count, offset + max(1, chunkSize))
                transcript.failure = upstream[offset..<end].withUnsafeBytes { transformation.data($0, output: transcript) }
                offset = end
            }
            if transcript.failure == nil { transcript.failure = transformation.end(output: transcript) }
        }
        return transcript
    }

    /// Directory holding the test binary; `swift build` puts the plugin libraries beside it.
    static let buildDirectory: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        // .build/<triple>/debug/SwitchyardPackageTests.xctest
        return String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)])
    }()
}

/// What a provider wrote to the sink during one response, in order, plus how it ended.
final class Transcript: PluginSinkTarget {
    var json: [JSONValue] = []
    var meta: [JSONValue] = []
    var errors: [JSONValue] = []
    var unparsable: [String] = []
    var failure: PluginFailure?

    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
        guard let value = try? JSONValue.parse(Array(bytes)) else {
            unparsable.append(String(decoding: bytes, as: UTF8.self))
            return SY_OK
        }
        switch kind {
        case SY_OUT_JSON: json.append(value)
        case SY_OUT_META_JSON: meta.append(value)
        case SY_OUT_ERROR_JSON: errors.append(value)
        default: unparsable.append("kind \(kind)")
        }
        return SY_OK
    }

    /// The last usage the provider reported as metadata.
    var usage: JSONValue? { meta.last(where: { $0["usage"] != nil })?["usage"] }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
