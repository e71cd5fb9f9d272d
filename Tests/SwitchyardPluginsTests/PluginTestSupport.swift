import CSwitchyardPlugin
import Foundation
@testable import SwitchyardPlugins

/// The secret the good fixture reads: set once, before any test instantiates it (setenv must
/// not race getenv on other threads).
enum FixtureEnvironment {
    static let ready: Bool = {
        setenv("SWITCHYARD_FIXTURE_SECRET", "s3cret", 1)
        setenv("FIXTURE_SECRET_NAME", "SWITCHYARD_FIXTURE_SECRET", 1)
        return true
    }()
}

/// Loads and instantiates the good fixture under `name` (unique per test, so log lines and
/// metrics can be told apart).
func goodInstance(_ name: String, config: String = "{}") throws -> PluginInstance {
    precondition(FixtureEnvironment.ready)
    let library = try PluginLibrary.load(path: try Fixtures.plugin("good_provider"), entry: name)
    return try library.instantiate(name: name, configJSON: Array(config.utf8))
}

/// What one `generate` call wrote, collected through the host's sink bridge.
struct Generated {
    var status: sy_status
    var json: [String] = []
    var meta: [String] = []
}

/// Calls the fixture's provider `generate` hook with `command` as the request body, as the
/// gateway would: a real sy_call_info, the call's handle, a sink from `withPluginSink`.
func generate(_ instance: PluginInstance, _ command: String, call: PluginCall? = nil, model: String = "m-1") -> Generated {
    let table = instance.interface(SY_IFACE_PROVIDER)!.assumingMemoryBound(to: sy_provider_v1.self)
    var result = Generated(status: SY_OK)
    var error = sy_error()
    error.struct_size = UInt32(MemoryLayout<sy_error>.size)
    var model = model
    var body = command
    let status = model.withUTF8 { model in
        body.withUTF8 { body in
            var info = sy_call_info(struct_size: UInt32(MemoryLayout<sy_call_info>.size), operation: SY_OP_CHAT_COMPLETIONS, stream: 1,
                                    attempt: 0, request_id: sy_bytes(ptr: nil, len: 0), upstream_model: sy_bytes(ptr: model.baseAddress, len: model.count), request: sy_bytes(ptr: nil, len: 0))
            return withPluginSink({ kind, bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                if kind == SY_OUT_JSON { result.json.append(text) } else if kind == SY_OUT_META_JSON { result.meta.append(text) }
                return SY_OK
            }) { sink in
                table.pointee.generate(instance.pluginInstance, call?.handle, &info, sy_bytes(ptr: body.baseAddress, len: body.count), sink, &error)
            }
        }
    }
    result.status = status
    return result
}
