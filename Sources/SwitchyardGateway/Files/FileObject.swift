import SwitchyardJSON

/// OpenAI's `file` object as the gateway answers it: from its record (listings), or the
/// provider's own object with the provider's id replaced by the gateway's (upload, retrieve),
/// so a client only ever sees gateway ids.
enum FileObject {
    static func json(_ record: FileRecord) -> JSONValue {
        .object(JSONObject([
            ("id", .string(record.id)),
            ("object", "file"),
            ("bytes", .number(record.bytes)),
            ("created_at", .number(record.createdAt)),
            ("expires_at", record.expiresAt.map { .number($0) } ?? .null),
            ("filename", .string(record.filename)),
            ("purpose", .string(record.purpose)),
            ("status", "processed"),
            ("status_details", .null),
        ]))
    }

    /// The provider's object, its `id` the gateway's.
    static func rewritten(_ upstream: JSONObject, id: String) -> JSONValue {
        var object = upstream
        object["id"] = .string(id)
        return .object(object)
    }

    /// The record of a file the provider just accepted, from the object it answered (the facts
    /// it did not state: from the upload).
    static func record(
        id: String, provider: String, upstreamID: String, object: JSONObject, filename: String, purpose: String, bytes: Int, now: Int, origin: String,
        keyID: String?
    ) -> FileRecord {
        FileRecord(
            id: id, provider: provider, upstreamID: upstreamID, filename: object["filename"]?.stringValue ?? filename,
            purpose: object["purpose"]?.stringValue ?? purpose, bytes: object["bytes"]?.intValue ?? bytes,
            createdAt: object["created_at"]?.intValue ?? now, expiresAt: object["expires_at"]?.intValue, origin: origin, keyID: keyID)
    }
}
