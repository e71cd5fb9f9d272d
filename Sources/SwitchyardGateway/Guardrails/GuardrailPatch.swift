import SwitchyardJSON

struct GuardrailPatchError: Error {
    let message: String
}

extension RunningInspection.Patch {
    /// The document after this patch: a replacement as is (checked to be one JSON object when
    /// the plugin set it), or an RFC 6902 patch applied to the parsed document, all or nothing.
    func apply(to document: [UInt8]) throws(GuardrailPatchError) -> [UInt8] {
        switch self {
        case .replace(let replacement):
            return replacement
        case .jsonPatch(let operations):
            do {
                let patch = try JSONPatch(parsing: operations)
                return try patch.apply(to: try JSONValue.parse(document)).serialized()
            } catch {
                throw GuardrailPatchError(message: "\(error)")
            }
        }
    }
}
