/// Ids for the ingress objects, derived from the canonical completion id so that the same
/// completion always renders the same ids (the stream and whole paths must agree, and the
/// host stores what it returned).
enum DerivedID {
    /// The canonical id without OpenAI's `chatcmpl-` prefix; "0" when the provider sent none.
    static func stem(_ canonicalID: String) -> String {
        var stem = Substring(canonicalID)
        if stem.hasPrefix("chatcmpl-") { stem = stem.dropFirst("chatcmpl-".count) }
        return stem.isEmpty ? "0" : String(stem)
    }
}
