import Testing

@testable import SwitchyardConfig

@Suite("files section")
struct FilesSectionTests {
    static let base = """
        plugins:
          - {name: openai, path: /p/libProviderOpenAI.so}
        providers:
          - {name: alpha, plugin: openai, models: [a]}
          - {name: beta, plugin: openai, models: [b], enabled: false}

        """

    @Test("absent or empty: no default provider")
    func absent() throws {
        #expect(try parse(Self.base).files == FilesConfig())
        #expect(try parse(Self.base + "files:\n").files == FilesConfig())
    }

    @Test("default_provider names an enabled provider; its place is kept for the gateway's check")
    func named() throws {
        let files = try parse(Self.base + "files:\n  default_provider: alpha\n").files
        #expect(files.defaultProvider == "alpha")
        #expect(files.defaultProviderLocation?.description == "test.yaml:7:21")
    }

    @Test("an unknown, disabled or empty provider and an unknown key are errors at their line")
    func errors() {
        #expect(errorText(Self.base + "files:\n  default_provider: alpah\n")?.hasPrefix("test.yaml:7:21: files.default_provider: unknown provider \"alpah\" (did you mean \"alpha\"?") == true)
        #expect(errorText(Self.base + "files:\n  default_provider: beta\n")?.contains("test.yaml:7:21: files.default_provider: provider \"beta\" is disabled (line 5)") == true)
        #expect(errorText(Self.base + "files:\n  default_provider: \"\"\n")?.contains("must not be empty") == true)
        #expect(errorText(Self.base + "files:\n  default: alpha\n")?.contains("test.yaml:7:3") == true)
    }
}
