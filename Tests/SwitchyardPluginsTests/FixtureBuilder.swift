import Foundation

/// Builds the C fixtures under Fixtures/ with the system C compiler into a temporary folder,
/// once per variant per test process: real shared objects, loaded through dlopen exactly like
/// production plugins.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sources = repository.appendingPathComponent("Tests/SwitchyardPluginsTests/Fixtures")
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-plugin-fixtures-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: String] = [:]  // guarded by `lock`

    /// The shared object built from Fixtures/`source`.c (or the repository file `source` ending
    /// in .c) with `defines` (e.g. ["FIXTURE_SHORT_TABLE"]).
    static func plugin(_ source: String, defines: [String] = []) throws -> String {
        try build(source, defines: defines, shared: true)
    }

    /// An executable built from Fixtures/`source`.c (for "not a shared object").
    static func program(_ source: String) throws -> String {
        try build(source, defines: [], shared: false)
    }

    private static func build(_ source: String, defines: [String], shared: Bool) throws -> String {
        // `source` is a fixture name, or a repository path such as "plugin-sdk/template/plugin-template.c".
        let file = source.hasSuffix(".c") ? repository.appendingPathComponent(source) : sources.appendingPathComponent(source + ".c")
        let variant = ([file.deletingPathExtension().lastPathComponent] + defines).joined(separator: "-") + (shared ? ".so" : ".bin")
        return try lock.withLock {
            if let path = built[variant] { return path }
            let output = directory.appendingPathComponent("lib" + variant).path
            let include = repository.appendingPathComponent("plugin-sdk/include").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["cc", "-std=c11", "-D_GNU_SOURCE", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
                                 "-Wno-unused-function", "-I", include]
                + (shared ? ["-shared", "-Wl,-z,defs"] : [])
                + defines.map { "-D" + $0 }
                + ["-o", output, file.path]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw FixtureError(message: "cc failed for \(variant)") }
            built[variant] = output
            return output
        }
    }

    /// A product of `swift build` (a plugin library or the switchyard executable), next to the
    /// test bundle.
    static func product(_ name: String) -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        if folder.path.hasSuffix(".xctest") { folder = folder.deletingLastPathComponent() }
        for candidate in [folder, executable.deletingLastPathComponent(), repository.appendingPathComponent(".build/debug")] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return repository.appendingPathComponent(".build/debug/\(name)").path
    }

    struct FixtureError: Error { let message: String }
}
