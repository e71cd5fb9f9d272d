import SwitchyardJSON

/// OpenAI's batch object as the client sees it: the provider's, with every id the gateway's.
/// `id` is the gateway's batch id, `input_file_id` the file the client named (not the prepared
/// copy the provider ran), `output_file_id` / `error_file_id` the gateway's ids for the
/// provider's result files (registered in the store before the object is shown).
enum BatchObject {
    /// The result files an upstream batch object names, by provider id.
    static func resultFiles(_ upstream: JSONObject) -> [(upstreamID: String, origin: String)] {
        var files: [(String, String)] = []
        if let output = upstream["output_file_id"]?.stringValue { files.append((output, "batch_output")) }
        if let error = upstream["error_file_id"]?.stringValue { files.append((error, "batch_error")) }
        return files
    }

    /// `files` maps the provider's result file ids to the gateway's; one missing renders null.
    static func render(_ upstream: JSONObject, record: BatchRecord, files: [String: String]) -> [UInt8] {
        var object = upstream
        object["id"] = .string(record.id)
        object["input_file_id"] = .string(record.inputFileID)
        for key in ["output_file_id", "error_file_id"] {
            guard let upstreamID = upstream[key]?.stringValue else { continue }
            object[key] = files[upstreamID].map { .string($0) } ?? .null
        }
        return JSONValue.object(object).serialized()
    }
}
