import CSwitchyardPlugin
import SwitchyardJSON

/// `switchyard plugins inspect PATH.so`: what a plugin library says about itself.
///
/// `inspect` loads the library into the *calling* process. dlopen runs the library's
/// constructors, and a broken one may crash: the CLI therefore calls `inspectInChildProcess`,
/// which re-runs the switchyard executable with the hidden `childCommand` in a child process
/// whose only job is to call `inspect` and print the report.
public enum PluginInspector {
    /// The hidden subcommand the child runs: `switchyard __inspect-plugin PATH.so`.
    public static let childCommand = "__inspect-plugin"

    /// Loads and negotiates the library in this process and renders its identity, ABI, flags,
    /// kinds, interfaces and config schema as text for a person.
    public static func inspect(path: String) throws(PluginLoadError) -> String {
        let library = try PluginLibrary.load(path: path)
        let manifest = library.manifest
        var lines = [
            "file:        \(path)",
            "sha256:      \((try? PluginLibrary.sha256(ofFileAt: path)) ?? "(unreadable)")",
            "id:          \(library.id)",
            "version:     \(library.version)",
            "abi:         plugin 1.\(library.pluginMinor), host \(SY_ABI_MAJOR).\(SY_ABI_MINOR), negotiated \(SY_ABI_MAJOR).\(library.negotiatedMinor)",
            "flags:       \(flagNames(library.flags))",
            "kinds:       \(library.kinds.isEmpty ? "(none)" : library.kinds.joined(separator: ", "))",
            "interfaces:  \(library.interfaces.isEmpty ? "(none)" : library.interfaces.joined(separator: ", "))",
        ]
        // Any other manifest keys (operations, toolchain, sdk ...) as they are, in manifest order.
        for (key, value) in manifest.objectValue ?? JSONObject() where !["kinds", "interfaces", "config_schema"].contains(key) {
            let rendered = value.stringValue ?? value.arrayValue.map { $0.map { $0.stringValue ?? $0.jsonText }.joined(separator: ", ") } ?? value.jsonText
            lines.append(pad(key + ":") + rendered)
        }
        if let schema = manifest["config_schema"] {
            lines.append("config schema:")
            var text = ""
            render(schema, indent: 1, into: &text)
            lines.append(text)
        } else {
            lines.append("config schema: (none declared)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func flagNames(_ flags: UInt32) -> String {
        guard flags != 0 else { return "none" }
        var names: [String] = []
        if flags & SY_F_SERIALIZE_INSTANCE != 0 { names.append("SERIALIZE_INSTANCE") }
        let unknown = flags & ~SY_F_SERIALIZE_INSTANCE
        if unknown != 0 { names.append("unknown bits 0x\(String(unknown, radix: 16))") }
        return names.joined(separator: ", ")
    }

    private static func pad(_ label: String) -> String {
        label.count >= 13 ? label + " " : label + String(repeating: " ", count: 13 - label.count)
    }

    /// Indented JSON, two spaces per level: a schema is read by a person here.
    static func render(_ value: JSONValue, indent: Int, into text: inout String) {
        let pad = String(repeating: "  ", count: indent)
        switch value {
        case .object(let object) where object.count > 0:
            text += "{\n"
            for (index, (key, member)) in object.enumerated() {
                text += pad + "  " + JSONValue.string(key).jsonText + ": "
                render(member, indent: indent + 1, into: &text)
                text += index + 1 < object.count ? ",\n" : "\n"
            }
            text += pad + "}"
        case .array(let array) where array.contains(where: { $0.objectValue != nil || $0.arrayValue != nil }):
            text += "[\n"
            for (index, element) in array.enumerated() {
                text += pad + "  "
                render(element, indent: indent + 1, into: &text)
                text += index + 1 < array.count ? ",\n" : "\n"
            }
            text += pad + "]"
        default:
            text += value.jsonText
        }
        if indent == 1 { text = pad + text }
    }
}
