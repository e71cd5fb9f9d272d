import CSwitchyardPlugin
import Foundation
@testable import SwitchyardPlugins
import Testing

/// The Swift-side sinks and the upstream request builder, driven by real C plugins.
@Suite struct SinkBridgeTests {
    final class Collector: PluginSinkTarget {
        var writes: [(UInt32, String)] = []
        var accept = true
        func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
            guard accept else { return SY_E_CANCELLED }
            writes.append((kind, String(decoding: bytes, as: UTF8.self)))
            return SY_OK
        }
    }

    func staticProvider() throws -> PluginInstance {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("plugin-sdk/examples/c/provider-static/provider_static.c"))
        return try library.instantiate(name: "static", configJSON: Array(#"{"text":"closed on Sundays"}"#.utf8))
    }

    func callGenerate(_ instance: PluginInstance, stream: Bool, _ sink: sy_sink) -> sy_status {
        let table = instance.interface(SY_IFACE_PROVIDER)!.assumingMemoryBound(to: sy_provider_v1.self)
        var error = sy_error()
        var model = "static-1"
        return model.withUTF8 { model in
            var info = sy_call_info(struct_size: UInt32(MemoryLayout<sy_call_info>.size), operation: SY_OP_CHAT_COMPLETIONS, stream: stream ? 1 : 0,
                                    attempt: 0, request_id: sy_bytes(ptr: nil, len: 0), upstream_model: sy_bytes(ptr: model.baseAddress, len: model.count), request: sy_bytes(ptr: nil, len: 0))
            return table.pointee.generate(instance.pluginInstance, nil, &info, sy_bytes(ptr: nil, len: 0), sink, &error)
        }
    }

    @Test func objectSinkCollectsWhatTheCExampleWrites() throws {
        let instance = try staticProvider()
        let collector = Collector()
        let status = withPluginSink(collector) { callGenerate(instance, stream: false, $0) }
        #expect(status == SY_OK)
        #expect(collector.writes.map(\.0) == [SY_OUT_JSON, SY_OUT_META_JSON])
        #expect(collector.writes.first?.1.contains("closed on Sundays") == true)
    }

    /// Hooks may run on worker threads: the sink is lent from that thread's own handle table.
    @Test func aSinkLentOnAWorkerThreadWorksThere() throws {
        let instance = try staticProvider()
        let provider = try #require(ProviderPlugin(name: "static", instance: instance.pluginInstance, table: instance.interface(SY_IFACE_PROVIDER)!))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var writes: [(UInt32, String)] = []
        nonisolated(unsafe) var failure: PluginFailure?
        Thread {
            let collector = Collector()
            let call = CallDescription(operation: SY_OP_CHAT_COMPLETIONS, stream: true, attempt: 0, requestID: "r", upstreamModel: "static-1")
            failure = [UInt8]("{}".utf8).withUnsafeBytes { provider.generate(call, body: $0, output: collector) }
            writes = collector.writes
            done.signal()
        }.start()
        done.wait()
        #expect(failure == nil)
        #expect(writes.map(\.0) == [SY_OUT_JSON, SY_OUT_JSON, SY_OUT_META_JSON])
        #expect(writes.first?.1.contains("closed on Sundays") == true)
    }

    @Test func aSinkThatRefusesIsSeenAsCancelled() throws {
        let instance = try staticProvider()
        let collector = Collector()
        collector.accept = false
        #expect(withPluginSink(collector) { callGenerate(instance, stream: true, $0) } == SY_E_CANCELLED)
    }

    @Test func closureSinkRefusesNullWithALength() {
        var calls = 0
        let status = withPluginSink({ _, _ in calls += 1; return SY_OK }) { sink in
            HostServices.table.pointee.sink_write(nil, sink, SY_OUT_JSON, sy_bytes(ptr: nil, len: 3))
        }
        #expect(status == SY_E_INVALID && calls == 0)
    }

    @Test func templatePrepareFillsTheBuilder() throws {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("plugin-sdk/template/plugin-template.c"))
        let instance = try library.instantiate(name: "template", configJSON: Array("{}".utf8))
        let table = instance.interface(SY_IFACE_PROVIDER)!.assumingMemoryBound(to: sy_provider_v1.self)
        let builder = UpstreamRequestBuilder()
        var error = sy_error()
        var body = #"{"model":"m","messages":[]}"#
        let status = body.withUTF8 { body in
            var info = sy_call_info(struct_size: UInt32(MemoryLayout<sy_call_info>.size), operation: SY_OP_CHAT_COMPLETIONS, stream: 0,
                                    attempt: 0, request_id: sy_bytes(ptr: nil, len: 0), upstream_model: sy_bytes(ptr: nil, len: 0), request: sy_bytes(ptr: body.baseAddress, len: body.count))
            return builder.withHTTPOut { out in
                table.pointee.prepare(instance.pluginInstance, nil, &info, sy_bytes(ptr: body.baseAddress, len: body.count), out, &error)
            }
        }
        #expect(status == SY_OK)
        #expect(builder.method == "POST" && builder.url.hasPrefix("http://127.0.0.1:"))
        #expect(builder.headers.map(\.name) == ["Content-Type"])
        #expect(String(decoding: builder.body, as: UTF8.self) == #"{"model":"m","messages":[]}"#)
        #expect(builder.problem == nil)
    }

    @Test func builderRefusesWhatWouldBreakTheRequestHead() {
        let builder = UpstreamRequestBuilder()
        let host = HostServices.table.pointee
        func call(_ body: (sy_http_out, (String) -> sy_bytes) -> sy_status) -> sy_status {
            var copies: [UnsafeMutablePointer<CChar>] = []
            defer { copies.forEach { free($0) } }
            return builder.withHTTPOut { out in
                body(out) { text in
                    copies.append(strdup(text))
                    return sy_bytes(ptr: UnsafeRawPointer(copies.last!).assumingMemoryBound(to: UInt8.self), len: text.utf8.count)
                }
            }
        }
        #expect(call { out, b in host.http_out_set_url(nil, out, b("/relative")) } == SY_E_INVALID)
        #expect(builder.problem == #"url "/relative" is not an absolute http(s) URL"#)
        #expect(call { out, b in host.http_out_set_method(nil, out, b("GET X")) } == SY_E_INVALID)
        #expect(call { out, b in host.http_out_add_header(nil, out, b("X-A"), b("1\r\nInjected: yes")) } == SY_E_INVALID)
        #expect(call { out, b in host.http_out_add_header(nil, out, b("Bad Name"), b("1")) } == SY_E_INVALID)
        #expect(call { out, b in host.http_out_set_url(nil, out, b("https://api.example.com/v1")) } == SY_OK)
        #expect(builder.url == "https://api.example.com/v1" && builder.headers.isEmpty)
        builder.reset()
        #expect(builder.problem == nil && builder.url.isEmpty && builder.method == "POST")
    }
}
