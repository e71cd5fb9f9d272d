import CSwitchyardPlugin
import Foundation
@testable import SwitchyardPlugins
import Testing

/// One real file per way loading can fail, each error naming the entry and the file.
@Suite struct PluginLibraryTests {
    func loadError(_ path: String, sha256: String? = nil, entry: String? = "fx") -> PluginLoadError? {
        do {
            _ = try PluginLibrary.load(path: path, sha256: sha256, entry: entry)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFile() {
        let error = loadError("/nonexistent/libnothing.so")
        #expect(error?.kind == .fileMissing)
        #expect(error?.description == "plugin \"fx\" (/nonexistent/libnothing.so): no such file (No such file or directory)")
    }

    @Test func relativePathIsRefused() {
        #expect(loadError("plugins/libx.so")?.message == "plugin paths must be absolute")
    }

    @Test func directoryIsNotAPlugin() {
        #expect(loadError(NSTemporaryDirectory())?.kind == .notARegularFile)
    }

    @Test func textFileIsNotASharedObject() throws {
        let path = Fixtures.directory.appendingPathComponent("notes.so").path
        try "not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(loadError(path))
        #expect(error.kind == .notASharedObject)
        #expect(error.description.hasPrefix("plugin \"fx\" (\(path)): cannot load as a shared library: "))
    }

    @Test func executableIsNotASharedObject() throws {
        let error = try #require(loadError(try Fixtures.program("program")))
        #expect(error.kind == .notASharedObject)
        #expect(error.message.contains("cannot dynamically load"))
    }

    @Test func libraryWithoutEntrySymbol() throws {
        let error = loadError(try Fixtures.plugin("no_entry"))
        #expect(error?.kind == .noEntrySymbol)
        #expect(error?.message == "not a Switchyard plugin: it does not export sy_plugin_entry")
    }

    @Test func abiMajorMismatch() throws {
        let error = loadError(try Fixtures.plugin("abi_major2"))
        #expect(error?.kind == .abiMajorMismatch)
        #expect(error?.message == "plugin is built for ABI 2.x, host provides 1.1")
    }

    @Test func pluginNeedingANewerMinor() throws {
        let path = try Fixtures.plugin("needs_minor7")
        let error = loadError(path, entry: "needs7")
        #expect(error?.kind == .abiMinorTooNew)
        #expect(error?.description == "plugin \"needs7\" (\(path)): plugin needs ABI 1.7, host provides 1.1")
    }

    @Test func pluginClaimingANewerNegotiatedMinorIsRefused() throws {
        let error = loadError(try Fixtures.plugin("newer_minor", defines: ["FIXTURE_CLAIM_MINOR"]))
        #expect(error?.kind == .abiMinorTooNew)
        #expect(error?.message == "plugin needs ABI 1.3, host provides 1.1")
    }

    @Test func newerPluginThatNegotiatesDownLoads() throws {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("newer_minor"))
        #expect(library.pluginMinor == 3)
        #expect(library.negotiatedMinor == SY_ABI_MINOR)
    }

    @Test(arguments: [
        ("FIXTURE_NO_TABLE", "sy_plugin_entry returned SY_OK but no plugin table"),
        ("FIXTURE_SHORT_TABLE", "malformed plugin table: sy_plugin_api.struct_size is 40 bytes, smaller than the ABI 1.0 sy_plugin_api (64 bytes)"),
        ("FIXTURE_NULL_HOOKS", "malformed plugin table: id is NULL, instance_new is NULL, get_interface is NULL"),
        ("FIXTURE_MANIFEST_NOT_JSON", "manifest_json is not valid JSON"),
        ("FIXTURE_MANIFEST_NO_IFACES", "manifest_json has no \"interfaces\" array"),
        ("FIXTURE_BAD_SCHEMA", "manifest_json \"config_schema\" is not a schema the host can check: at /properties/n/multipleOf: unsupported keyword"),
        ("FIXTURE_BLOCKING_UNKNOWN", "manifest_json \"blocking_hooks\" names an unknown hook \"genrate\" (known: prepare, generate, response)"),
        ("FIXTURE_BLOCKING_NOT_LIST", "manifest_json \"blocking_hooks\" must be an array of hook names (prepare, generate, response)"),
    ])
    func malformedTable(defect: String, message: String) throws {
        let error = try #require(loadError(try Fixtures.plugin("malformed_table", defines: [defect])))
        #expect(error.kind == .malformedDescriptor)
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }

    @Test func unknownBlockingHookNamesThePlugin() throws {
        let path = try Fixtures.plugin("malformed_table", defines: ["FIXTURE_BLOCKING_UNKNOWN"])
        let error = try #require(loadError(path, entry: "local-llm"))
        #expect(error.description.hasPrefix("plugin \"local-llm\" (\(path)): manifest_json \"blocking_hooks\" names an unknown hook \"genrate\""))
    }

    @Test func blockingHooksAreReadFromTheManifest() throws {
        let declared = try PluginLibrary.load(path: try Fixtures.plugin("malformed_table", defines: ["FIXTURE_BLOCKING_DECLARED"]))
        #expect(declared.blockingHooks == [.generate, .response])
        #expect(declared.blockingHooks.description == "generate, response")
        let plain = try PluginLibrary.load(path: try Fixtures.plugin("good_provider"))
        #expect(plain.blockingHooks.isEmpty)
    }

    @Test func checksumPinShowsExpectedAndActual() throws {
        let path = try Fixtures.plugin("good_provider", defines: ["FIXTURE_PINNED"])
        let actual = try PluginLibrary.sha256(ofFileAt: path)
        let expected = String(repeating: "ab", count: 32)
        let error = loadError(path, sha256: expected)
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.message == "sha256 mismatch: expected \(expected), actual \(actual)")
        #expect(loadError(path, sha256: "abc")?.message == "the sha256 pin \"abc\" is not 64 hex digits")
        #expect(loadError(path, sha256: actual.uppercased()) == nil)
    }

    @Test func configRejectedByThePluginShowsItsMessage() throws {
        let path = try Fixtures.plugin("good_provider")
        do {
            _ = try goodInstance("rejecting", config: #"{"reject":true}"#)
            Issue.record("config was accepted")
        } catch let error as PluginLoadError {
            #expect(error.kind == .configRejected)
            #expect(error.description == "plugin \"rejecting\" (\(path)): plugin rejected its config: \"reject\" is not a setting this plugin knows")
        }
    }

    @Test func sameFileLoadsOnce() throws {
        let path = try Fixtures.plugin("good_provider")
        let first = try PluginLibrary.load(path: path)
        // Another path to the same inode is the same library too.
        let link = Fixtures.directory.appendingPathComponent("link-\(UUID().uuidString).so").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(try PluginLibrary.load(path: path) === first)
        #expect(try PluginLibrary.load(path: link) === first)
    }

    @Test func goodPluginDescribesItself() throws {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("good_provider"))
        #expect(library.id == "dev.switchyard.test.good")
        #expect(library.version == "1.2.3")
        #expect(library.flags == SY_F_SERIALIZE_INSTANCE)
        #expect(library.kinds == ["provider"])
        #expect(library.interfaces == [SY_IFACE_PROVIDER])
    }

    @Test func instanceAnswersAndIsFreedOnce() throws {
        let instance = try goodInstance("answers")
        #expect(instance.name == "answers")
        let answer = generate(instance, "hello")
        #expect(answer.status == SY_OK)
        #expect(answer.json == [#"{"model":"m-1","secret":"s3cret","stream":1,"without_call":-2}"#])
        #expect(answer.meta == [#"{"usage":{"prompt_tokens":1,"completion_tokens":2}}"#])
        #expect(instance.interface("switchyard.guardrail/1") == nil)
        #expect(instance.host.memory.allocations == 1)
        instance.shutdown()
        instance.shutdown()  // idempotent: instance_free ran once (a second run would double-free)
        #expect(instance.host.memory == (0, 0))
        #expect(instance.interface(SY_IFACE_PROVIDER) == nil)
    }

    @Test func theEchoPluginLoadsThroughDlopen() throws {
        let path = Fixtures.product("libProviderEcho.so")
        try #require(FileManager.default.fileExists(atPath: path), "run `swift build` first: \(path) is missing")
        let library = try PluginLibrary.load(path: path, entry: "echo")
        #expect(library.id == "dev.switchyard.provider.echo")
        #expect(throws: PluginLoadError.self) { try library.instantiate(name: "echo", configJSON: Array(#"{"prefix":1}"#.utf8)) }
    }
}
