import SwitchyardCore
import SwitchyardJSON

/// Where an upload goes: to a provider's Files API, or into the gateway's held files for a
/// provider that has none but runs batches inline (Anthropic: its batches take the requests in
/// the create body, which the gateway builds from the held file).
enum FileDestination {
    case provider(NativeProvider)
    /// Kept by the gateway, meant for the named provider's inline batches.
    case held(for: String)

    var providerName: String {
        switch self {
        case .provider(let provider): provider.name
        case .held(let name): name
        }
    }
}

/// Which provider receives an upload (docs/batches.md, "Files"): the one the form's `provider`
/// field names; else, for purpose `batch`, the first provider serving the model of the file's
/// first line that takes files or runs batches inline; else `files.default_provider`; else the
/// only provider taking files. Otherwise the client has to name one.
///
/// Threading: immutable; the request's loop.
struct FileProviderChoice {
    let services: GatewayServices

    /// The destination a `provider` field names, or a 400 naming it.
    func named(_ name: String) throws(GatewayError) -> FileDestination {
        if let provider = services.nativeProvider(name, for: "files") { return .provider(provider) }
        if services.inlineBatchProvider(name) != nil { return .held(for: name) }
        guard services.providers[name] != nil else {
            throw GatewayError.invalidRequest(
                "No provider named '\(name)' (providers taking files: \(takers)).", code: "unknown_provider", param: "provider")
        }
        throw GatewayError.invalidRequest(
            "Provider '\(name)' does not take files (providers taking files: \(takers)).", code: "provider_without_files", param: "provider")
    }

    /// The model a batch file's first line asks for (`body.model`), if it names one.
    static func model(ofBatchLine line: [UInt8]) -> String? {
        var bytes = line[...]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        guard let value = try? JSONValue.parse(Array(bytes)) else { return nil }
        return value["body"]?["model"]?.stringValue
    }

    /// The first provider serving `model` (aliases followed) that takes files or runs batches
    /// inline, if any.
    func serving(model: String) -> FileDestination? {
        guard let (_, attempts) = try? services.planner.routing.resolve(model) else { return nil }
        for attempt in attempts {
            if let provider = services.nativeProvider(attempt.provider, for: "files") { return .provider(provider) }
            if services.inlineBatchProvider(attempt.provider) != nil { return .held(for: attempt.provider) }
        }
        return nil
    }

    /// `files.default_provider`, else the only provider taking files, else a 400 asking the
    /// client to name one (`model`: the batch line's model that chose none, for the message).
    func fallback(model: String?) throws(GatewayError) -> NativeProvider {
        if let name = services.settings.defaultFileProvider, let provider = services.nativeProvider(name, for: "files") { return provider }
        let all = services.nativeProviders(for: "files")
        if all.count == 1 { return all[0] }
        if all.isEmpty {
            throw GatewayError(status: 400, type: "invalid_request_error", code: "files_unsupported",
                               message: "No provider of this gateway takes files.")
        }
        let why = model.map { "The first line's model '\($0)' is served by no provider taking files, and " } ?? ""
        throw GatewayError.invalidRequest(
            "\(why)\(why.isEmpty ? "S" : "s")everal providers take files (\(takers)) and files.default_provider is not set: name one with the form field 'provider'.",
            code: "provider_required", param: "provider")
    }

    private var takers: String {
        let names = services.nativeProviders(for: "files").map(\.name)
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
