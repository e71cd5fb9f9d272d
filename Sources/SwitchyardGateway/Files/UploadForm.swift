import SwitchyardCore

/// The fields of an upload's form that come before its file: `purpose` (required, forwarded),
/// `expires_after[anchor]` / `expires_after[seconds]` (forwarded, in the order sent) and
/// `provider` (the gateway's own: which provider gets the file; never forwarded). Any other
/// field, or one sent twice, is a 400: a field the gateway silently dropped could change what
/// the client meant.
struct UploadForm {
    static let forwardedFields: Set<String> = ["expires_after[anchor]", "expires_after[seconds]"]
    static let maxValueBytes = 1024

    private(set) var purpose: String?
    private(set) var provider: String?
    private(set) var forwarded: [(name: String, value: String)] = []

    mutating func take(_ name: String, _ value: [UInt8]) throws(GatewayError) {
        guard value.count <= Self.maxValueBytes else {
            throw GatewayError.invalidRequest("The form field '\(name)' is longer than \(Self.maxValueBytes) bytes.", code: "invalid_field", param: name)
        }
        let text = String(decoding: value, as: UTF8.self)
        let known = name == "purpose" || name == "provider" || Self.forwardedFields.contains(name)
        guard known else {
            throw GatewayError.invalidRequest(
                "Unknown form field '\(name)' (an upload takes purpose, file, expires_after[anchor], expires_after[seconds] and provider).",
                code: "unknown_field", param: name)
        }
        guard !has(name) else { throw GatewayError.invalidRequest("The form field '\(name)' is sent twice.", code: "invalid_field", param: name) }
        switch name {
        case "purpose":
            guard !text.isEmpty else { throw GatewayError.invalidRequest("'purpose' must not be empty.", code: "invalid_field", param: "purpose") }
            purpose = text
        case "provider":
            guard !text.isEmpty else { throw GatewayError.invalidRequest("'provider' must not be empty.", code: "invalid_field", param: "provider") }
            provider = text
        default:
            forwarded.append((name, text))
        }
    }

    /// The purpose, once the file part begins: it must have come before it.
    func requiredPurpose() throws(GatewayError) -> String {
        guard let purpose else {
            throw GatewayError.invalidRequest(
                "Missing required field 'purpose' (it must come before the file part of the form).", code: "missing_required_parameter", param: "purpose")
        }
        return purpose
    }

    private func has(_ name: String) -> Bool {
        switch name {
        case "purpose": purpose != nil
        case "provider": provider != nil
        default: forwarded.contains { $0.name == name }
        }
    }
}
