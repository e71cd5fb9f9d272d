// swift-tools-version:6.0
// Switchyard: an AI gateway. No package dependencies (see DESIGN.md, "the card"): Foundation, Glibc,
// and C libraries through system-library targets only.
import PackageDescription

// Gateway plugins export exactly one symbol, sy_plugin_entry (plugin-sdk/template/plugin.version).
let pluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/plugin-sdk/template/plugin.version"])
]

/// Release builds of the request path skip the runtime exclusivity checks (swift_beginAccess on
/// every class-property access: ~3% of the instructions per request); debug builds and tests keep
/// them, so a violation still fails the suite. docs/decisions/0006-release-exclusivity-checks.md.
let requestPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// A gateway plugin: an ordinary target under `Plugins/<name>` (not a SwiftPM *package* plugin)
/// built as its own shared library, loaded by the host with dlopen. `dependencies` adds C modules
/// a plugin links on its own (e.g. CPCRE2), beyond the SDK every plugin gets.
func gatewayPlugin(_ product: String, folder: String, dependencies: [Target.Dependency] = []) -> (Product, Target) {
    (
        .library(name: product, type: .dynamic, targets: [product]),
        .target(
            name: product,
            dependencies: ["SwitchyardPluginSDK", "SwitchyardJSON"] + dependencies,
            path: "Plugins/\(folder)",
            exclude: ["README.md"],
            swiftSettings: requestPath,
            linkerSettings: pluginLinkerSettings
        )
    )
}

let plugins = [
    gatewayPlugin("ProviderEcho", folder: "provider-echo"),
    gatewayPlugin("ProviderOpenAI", folder: "provider-openai"),
    gatewayPlugin("ProviderAnthropic", folder: "provider-anthropic"),
    gatewayPlugin("ProviderGemini", folder: "provider-gemini"),
    gatewayPlugin("GuardrailBlocklist", folder: "guardrail-blocklist"),
    gatewayPlugin("GuardrailSizeLimits", folder: "guardrail-size-limits"),
    gatewayPlugin("GuardrailSystemPrompt", folder: "guardrail-system-prompt"),
    gatewayPlugin("GuardrailLLMJudge", folder: "guardrail-llm-judge"),
    gatewayPlugin("GuardrailPII", folder: "guardrail-pii", dependencies: ["CPCRE2"]),
    gatewayPlugin("EnricherOpenAI", folder: "enricher-openai"),
    gatewayPlugin("EnricherAnthropic", folder: "enricher-anthropic"),
    gatewayPlugin("EnricherGemini", folder: "enricher-gemini"),
    gatewayPlugin("BatchModels", folder: "batch-models"),
]

let package = Package(
    name: "Switchyard",
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        .executable(name: "switchyard-mock", targets: ["switchyard-mock"]),
        .executable(name: "switchyard-load", targets: ["switchyard-load"]),
    ] + plugins.map(\.0),
    targets: [
        // C modules.
        .systemLibrary(name: "CSwitchyardPlugin", path: "plugin-sdk/include"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CLinux"),
        // PCRE2 for guardrail patterns (docs/decisions/0011-pcre2-for-guardrail-patterns.md).
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // SQLite for the embedded store (docs/decisions/0014-embedded-sqlite-store.md).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // hiredis for the Redis-backed ledger (docs/decisions/0027-hiredis-on-the-event-loop.md).
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),

        // Plugin SDK (plugins import these, never the host's modules).
        .target(name: "SwitchyardJSON", path: "plugin-sdk/swift/Sources/SwitchyardJSON", swiftSettings: requestPath),
        .target(
            name: "SwitchyardPluginSDK",
            dependencies: ["CSwitchyardPlugin", "SwitchyardJSON"],
            path: "plugin-sdk/swift/Sources/SwitchyardPluginSDK",
            swiftSettings: requestPath
        ),

        // The host, in request-path order.
        .target(name: "SwitchyardCore", dependencies: ["SwitchyardJSON"]),
        // Pure ingress translators (Anthropic Messages, OpenAI Responses ⇄ canonical), no I/O.
        .target(name: "SwitchyardTranslation", dependencies: ["SwitchyardJSON"], exclude: ["README.md"], swiftSettings: requestPath),
        .target(name: "SwitchyardPosix", dependencies: ["CLinux"], swiftSettings: requestPath),
        .target(name: "SwitchyardHTTP", dependencies: ["SwitchyardPosix", "SwitchyardJSON"], swiftSettings: requestPath),
        .target(name: "SwitchyardUpstream", dependencies: ["CCurl", "SwitchyardPosix"], swiftSettings: requestPath),
        .target(name: "SwitchyardConfig", dependencies: ["CYAML", "CPCRE2", "SwitchyardCore", "SwitchyardJSON"]),
        // The gateway's own records on disk, written off the event loops.
        .target(name: "SwitchyardStore", dependencies: ["CSQLite", "SwitchyardPosix"]),
        // Redis, shared by replicas: hiredis's async API driven by the event loops.
        .target(name: "SwitchyardRedis", dependencies: ["CHiredis", "SwitchyardPosix"], swiftSettings: requestPath),
        .target(
            name: "SwitchyardPlugins",
            dependencies: ["CSwitchyardPlugin", "CLinux", "SwitchyardCore", "SwitchyardJSON", "SwitchyardPosix"],
            swiftSettings: requestPath
        ),
        .target(
            name: "SwitchyardGateway",
            dependencies: [
                "SwitchyardCore", "SwitchyardHTTP", "SwitchyardUpstream", "SwitchyardConfig",
                "SwitchyardPlugins", "SwitchyardJSON", "SwitchyardPosix", "SwitchyardTranslation", "SwitchyardStore",
                "SwitchyardRedis",
            ],
            swiftSettings: requestPath
        ),
        .executableTarget(
            name: "switchyard",
            dependencies: ["SwitchyardGateway", "SwitchyardConfig", "SwitchyardPlugins", "SwitchyardPosix", "CLinux"],
            resources: [.embedInCode("Resources/switchyard.yaml")]
        ),
        .executableTarget(
            name: "switchyard-mock",
            dependencies: ["SwitchyardHTTP", "SwitchyardPosix", "SwitchyardJSON"]
        ),

        .executableTarget(name: "switchyard-load", dependencies: ["SwitchyardPosix", "SwitchyardJSON", "CLinux"]),

        // Tests mirror Sources.
        .testTarget(name: "SwitchyardJSONTests", dependencies: ["SwitchyardJSON"]),
        .testTarget(name: "SwitchyardPluginSDKTests", dependencies: ["SwitchyardPluginSDK"]),
        .testTarget(name: "SwitchyardTranslationTests", dependencies: ["SwitchyardTranslation", "SwitchyardJSON"]),
        .testTarget(name: "SwitchyardPosixTests", dependencies: ["SwitchyardPosix"]),
        .testTarget(name: "SwitchyardHTTPTests", dependencies: ["SwitchyardHTTP", "SwitchyardPosix"]),
        // SwitchyardPlugins: the Anthropic plugin's batch hooks drive the mock's Message Batches.
        .testTarget(name: "SwitchyardUpstreamTests", dependencies: ["SwitchyardUpstream", "SwitchyardPosix", "SwitchyardHTTP", "SwitchyardPlugins", "SwitchyardJSON", "CSwitchyardPlugin"]),
        // The process the store's crash test kills mid-write (Tests/StoreCrashWriter/main.swift).
        .executableTarget(name: "switchyard-store-crash-writer", dependencies: ["SwitchyardStore", "SwitchyardPosix"], path: "Tests/StoreCrashWriter"),
        .testTarget(name: "SwitchyardStoreTests", dependencies: ["SwitchyardStore", "SwitchyardPosix"]),
        // A real redis-server on a free loopback port, and a running loop, for the Redis tests.
        .target(name: "RedisTestSupport", dependencies: ["SwitchyardPosix"], path: "Tests/RedisTestSupport"),
        .testTarget(name: "SwitchyardRedisTests", dependencies: ["SwitchyardRedis", "SwitchyardPosix", "RedisTestSupport"]),
        .testTarget(name: "SwitchyardConfigTests", dependencies: ["SwitchyardConfig", "SwitchyardCore", "SwitchyardPlugins", "SwitchyardJSON"]),
        .testTarget(name: "SwitchyardProviderTests", dependencies: ["SwitchyardPlugins", "SwitchyardJSON", "CSwitchyardPlugin"]),
        .testTarget(name: "SwitchyardEnricherTests", dependencies: ["SwitchyardPlugins", "SwitchyardJSON", "CSwitchyardPlugin"], exclude: ["Fixtures"]),
        .testTarget(name: "SwitchyardPluginsTests", dependencies: ["SwitchyardPlugins", "SwitchyardCore", "SwitchyardJSON", "CSwitchyardPlugin"], exclude: ["Fixtures"]),
        .testTarget(
            name: "SwitchyardGatewayTests",
            dependencies: [
                "SwitchyardGateway", "SwitchyardConfig", "SwitchyardHTTP", "SwitchyardPosix", "SwitchyardJSON",
                "SwitchyardPlugins", "SwitchyardUpstream", "SwitchyardCore", "CSwitchyardPlugin", "SwitchyardStore",
                "SwitchyardRedis", "RedisTestSupport",
            ]
        ),
    ] + plugins.map(\.1)
)
