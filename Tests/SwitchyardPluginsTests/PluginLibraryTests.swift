import CSwitchyardPlugin
import Foundation
import SwitchyardPlugins
import Testing

@Suite(.serialized) struct PluginLibraryTests {
    func loadError(_ path: String, sha256: String? = nil) -> PluginLoadError? {
        do {
            _ = try PluginLibrary.load(path: path, sha256: sha256)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFile() {
        let error = loadError("/nonexistent/libnothing.so")
        #expect(error?.kind == .fileMissing)
        #expect(error?.description.hasPrefix("/nonexistent/libnothing.so: no such file") == true)
    }

    @Test func relativePathIsRefused() {
        #expect(loadError("plugins/libx.so")?.kind == .pathNotAbsolute)
    }

    @Test func directoryIsNotAPlugin() {
        #expect(loadError("/tmp")?.kind == .notARegularFile)
    }

    @Test func textFileIsNotASharedObject() throws {
        let path = Fixtures.directory.appendingPathComponent("notes.so").path
        try "not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
        let error = loadError(path)
        #expect(error?.kind == .notASharedObject)
        #expect(error?.message.contains("cannot load as a shared library") == true)
    }

    @Test func executableIsNotALoadablePlugin() {
        let error = loadError("/bin/true")
        #expect(error?.kind == .notASharedObject || error?.kind == .noEntrySymbol)
    }

    @Test func libraryWithoutEntrySymbol() throws {
        let error = loadError(try Fixtures.plugin("noentry", defines: ["FIXTURE_NO_ENTRY"]))
        #expect(error?.kind == .noEntrySymbol)
        #expect(error?.message == "not a Switchyard plugin: it does not export sy_plugin_entry")
    }

    @Test func abiMajorMismatch() throws {
        let error = loadError(try Fixtures.plugin("major2", defines: ["FIXTURE_MAJOR=2"]))
        #expect(error?.kind == .abiMajorMismatch)
        #expect(error?.message == "plugin is built for ABI 2.x, host provides 1.0")
    }

    @Test func pluginNeedingANewerMinor() throws {
        let error = loadError(try Fixtures.plugin("needs7", defines: ["FIXTURE_NEEDS_MINOR=7"]))
        #expect(error?.kind == .abiMinorTooNew)
        #expect(error?.message == "plugin needs ABI 1.7, host provides 1.0")
    }

    @Test func pluginClaimingANewerMinorInItsTable() throws {
        let error = loadError(try Fixtures.plugin("minor3", defines: ["FIXTURE_PLUGIN_MINOR=3"]))
        #expect(error?.message == "plugin needs ABI 1.3, host provides 1.0")
    }

    @Test func malformedTable() throws {
        let error = loadError(try Fixtures.plugin("badtable", defines: ["FIXTURE_BAD_TABLE"]))
        #expect(error?.kind == .malformedDescriptor)
        #expect(error?.message.contains("no instance_new") == true)
    }

    @Test func checksumPin() throws {
        let path = try Fixtures.plugin("pinned")
        let error = loadError(path, sha256: String(repeating: "0", count: 64))
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.message.contains("the config pins 0000") == true)
        var hasher = SHA256()
        hasher.update(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(loadError(path, sha256: hasher.hexDigest().uppercased()) == nil)
    }

    @Test func configRejectedByThePluginShowsItsMessage() throws {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("good"))
        do {
            _ = try library.instantiate(name: "fx", configJSON: Array(#"{"reject":true}"#.utf8))
            Issue.record("config was accepted")
        } catch {
            #expect(error.kind == .configRejected)
            #expect(error.message == "plugin rejected its config: reject was requested by the test")
        }
    }

    @Test func sameFileLoadsOnce() throws {
        let path = try Fixtures.plugin("good")
        #expect(try PluginLibrary.load(path: path) === PluginLibrary.load(path: path))
    }

    @Test func goodPluginUsesHostServicesAndAnswersThroughTheSink() throws {
        setenv("FIXTURE_SECRET", "s3cret", 1)
        let library = try PluginLibrary.load(path: try Fixtures.plugin("good"))
        #expect(library.id == "dev.switchyard.test.fixture")
        var instance: PluginInstance? = try library.instantiate(name: "fx", configJSON: Array("{}".utf8))
        let host = try #require(instance?.host)
        #expect(host.memory.allocations == 1)

        let table = try #require(instance?.interface(SY_IFACE_PROVIDER))
        let provider = try #require(ProviderPlugin(name: "fx", instance: instance?.pluginInstance, table: table))
        #expect(provider.answersLocally)
        let output = CollectingOutput()
        let call = CallDescription(operation: 1, stream: true, attempt: 0, requestID: "r1", upstreamModel: "m-1")
        let failure = Array("{}".utf8).withUnsafeBytes { provider.generate(call, body: $0, output: output) }
        #expect(failure == nil)
        #expect(output.json == [#"{"model":"m-1","secret":"s3cret","stream":1}"#])
        #expect(output.meta.count == 1)
        let metric = try #require(host.metrics.snapshot.first)
        #expect(metric.name == "fixture_calls" && metric.series[["generate"]]?.count == 1)
        #expect(instance?.interface("switchyard.guardrail/1") == nil)

        instance = nil  // instance_free releases what the plugin allocated
        #expect(host.memory.allocations == 0 && host.memory.bytes == 0)
    }

    @Test func sinkReportsACancelledClient() throws {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("good"))
        let instance = try library.instantiate(name: "fx", configJSON: [])
        let table = try #require(instance.interface(SY_IFACE_PROVIDER))
        let provider = try #require(ProviderPlugin(name: "fx", instance: instance.pluginInstance, table: table))
        let output = CollectingOutput()
        output.accept = false
        let failure = Array("{}".utf8).withUnsafeBytes {
            provider.generate(CallDescription(operation: 1, stream: false, attempt: 0, requestID: "r", upstreamModel: "m"), body: $0, output: output)
        }
        #expect(failure?.status == SY_E_CANCELLED)
    }

    @Test func theRealEchoPluginLoadsThroughDlopen() throws {
        let path = Fixtures.built("libProviderEcho.so")
        try #require(FileManager.default.fileExists(atPath: path), "run `swift build` first: \(path) is missing")
        let library = try PluginLibrary.load(path: path)
        #expect(library.id == "dev.switchyard.provider.echo")
        let instance = try library.instantiate(name: "echo", configJSON: Array(#"{"prefix":"> "}"#.utf8))
        let table = try #require(instance.interface(SY_IFACE_PROVIDER))
        let provider = try #require(ProviderPlugin(name: "echo", instance: instance.pluginInstance, table: table))
        let output = CollectingOutput()
        let request = Array(#"{"model":"echo-1","messages":[{"role":"user","content":"hi there"}]}"#.utf8)
        let failure = request.withUnsafeBytes {
            provider.generate(CallDescription(operation: 1, stream: false, attempt: 0, requestID: "r9", upstreamModel: "echo-1"), body: $0, output: output)
        }
        #expect(failure == nil)
        #expect(output.json.first?.contains(#""content":"> hi there""#) == true)
        do {
            _ = try library.instantiate(name: "echo", configJSON: Array(#"{"prefix":1}"#.utf8))
            Issue.record("bad config accepted")
        } catch {
            #expect(error.message == "plugin rejected its config: prefix must be a string")
        }
    }
}

final class CollectingOutput: ProviderOutput {
    var json: [String] = []
    var meta: [String] = []
    var accept = true

    func providerWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> Bool {
        guard accept else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        if kind == SY_OUT_JSON { json.append(text) } else if kind == SY_OUT_META_JSON { meta.append(text) }
        return true
    }
}
