import CSwitchyardPlugin
import SwitchyardJSON
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard plugins inspect`: what a plugin library says about itself.
public enum PluginInspector {
    /// Loads the library in this process and renders its identity, ABI, interfaces and config
    /// schema. Run it in a child process (`inspectInChildProcess`): dlopen runs the library's
    /// constructors, and a broken one may crash.
    public static func inspect(path: String) throws(PluginLoadError) -> String {
        let library = try PluginLibrary.load(path: path)
        let manifest = library.manifest
        func list(_ key: String) -> String {
            (manifest[key]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        }
        var lines = [
            "file:        \(path)",
            "sha256:      \((try? PluginLibrary.checksum(path)) ?? "?")",
            "id:          \(library.id)",
            "version:     \(library.version)",
            "abi:         plugin 1.\(library.api.pointee.abi_minor), host \(SY_ABI_MAJOR).\(SY_ABI_MINOR), negotiated 1.\(library.negotiatedMinor)",
            "flags:       \(library.api.pointee.flags)",
            "kinds:       \(list("kinds"))",
            "interfaces:  \(list("interfaces"))",
        ]
        if let operations = manifest["operations"]?.arrayValue {
            lines.append("operations:  \(operations.compactMap(\.stringValue).joined(separator: ", "))")
        }
        if let schema = manifest["config_schema"] {
            lines.append("config:      \(schema.jsonText)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs `executable arguments...` (which calls `inspect` and prints the report) and returns
    /// what it printed; a crash becomes a clear report instead of taking the caller down.
    public static func inspectInChildProcess(executable: String, arguments: [String]) -> (report: String, succeeded: Bool) {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { return ("error: pipe: \(String(cString: strerror(errno)))\n", false) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard spawned == 0 else {
            close(pipeFDs[0])
            return ("error: cannot start \(executable): \(String(cString: strerror(spawned)))\n", false)
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipeFDs[0], &chunk, chunk.count)
            if count <= 0 { break }
            output += chunk[..<count]
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        let signal = status & 0x7F
        if signal != 0 {
            return (text + "error: the plugin crashed the inspecting process (signal \(signal)) while loading \(arguments.last ?? "")\n", false)
        }
        return (text, (status >> 8) & 0xFF == 0)
    }
}
