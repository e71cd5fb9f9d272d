import Foundation

/// Builds the C fixture plugins with the system C compiler into a temporary folder, once per
/// test process: real shared objects, loaded through dlopen exactly like production plugins.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-fixtures-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static let lock = NSLock()
    nonisolated(unsafe) static var built: [String: String] = [:]

    /// Path of the fixture built with `defines` (e.g. ["FIXTURE_MAJOR=2"]).
    static func plugin(_ name: String, defines: [String] = []) throws -> String {
        try lock.withLock {
            if let path = built[name] { return path }
            let output = directory.appendingPathComponent("lib\(name).so").path
            let source = repository.appendingPathComponent("Tests/SwitchyardPluginsTests/Fixtures/fixture_plugin.c").path
            let include = repository.appendingPathComponent("plugin-sdk/include").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["cc", "-std=c11", "-D_GNU_SOURCE", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Werror", "-Wno-unused-function", "-I", include]
                + defines.map { "-D" + $0 } + ["-o", output, source]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw FixtureError(message: "cc failed for \(name)") }
            built[name] = output
            return output
        }
    }

    /// A plugin library built by `swift build` next to the test bundle.
    static func built(_ library: String) -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        if folder.lastPathComponent == "MacOS" || folder.path.hasSuffix(".xctest") { folder = folder.deletingLastPathComponent() }
        let candidates = [folder, executable.deletingLastPathComponent(), repository.appendingPathComponent(".build/debug")]
        for candidate in candidates {
            let path = candidate.appendingPathComponent(library).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return repository.appendingPathComponent(".build/debug/\(library)").path
    }

    struct FixtureError: Error { let message: String }
}
