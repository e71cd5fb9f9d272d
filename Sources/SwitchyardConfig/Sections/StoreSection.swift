/// Decodes `store:`; every key is optional and falls back to `StoreConfig`'s default.
enum StoreSection {
    static let keys = ["path", "busy_timeout", "write_queue", "responses"]
    static let responsesKeys = ["max_age", "max_count"]

    /// `baseDirectory` is the config file's folder (nil: no file, paths stay as written).
    static func decode(_ value: ConfigValue?, baseDirectory: String?) throws(ConfigError) -> StoreConfig {
        var store = StoreConfig()
        if let value {
            let fields = try value.mapping(allowedKeys: keys)
            if let path = fields["path"] {
                let text = try path.string()
                guard !text.isEmpty else { throw path.error("must not be empty (leave the key out for the default, \(StoreConfig.defaultPath) beside the config file)") }
                guard !text.hasSuffix("/") else { throw path.error("names a folder; give the database file, e.g. \"\(text)switchyard.db\"") }
                guard !text.utf8.contains(0) else { throw path.error("must not contain a NUL character") }
                store.path = text
            }
            if let timeout = fields["busy_timeout"] {
                store.busyTimeout = try timeout.duration()
                guard store.busyTimeout <= .seconds(600) else { throw timeout.error("must be at most 10m") }
            }
            if let count = fields["write_queue"] { store.writeQueue = try count.integer(in: 1...10_000_000) }
            if let responses = fields["responses"] { store.responses = try decodeResponses(responses) }
        }
        if let baseDirectory, !store.path.hasPrefix("/") {
            store.path = baseDirectory + "/" + store.path
        }
        return store
    }

    /// `store.responses:`; absent keys keep their defaults (an empty value is the defaults).
    static func decodeResponses(_ value: ConfigValue) throws(ConfigError) -> StoredResponsesRetention {
        var retention = StoredResponsesRetention()
        let fields = try value.mapping(allowedKeys: responsesKeys)
        if let age = fields["max_age"] {
            do {
                retention.maxAge = try age.duration()
            } catch {
                // Well formed but refused: 100 days or more. Say the limit, not the syntax.
                let (number, unit) = DurationText.split((try? age.string()) ?? "")
                if !number.isEmpty, number.allSatisfy({ $0 >= "0" && $0 <= "9" }), ["", "s", "m", "h"].contains(unit) {
                    throw age.error("must be less than 2400h (100 days), the longest duration the config takes")
                }
                throw error
            }
            guard retention.maxAge >= .seconds(1) else { throw age.error("must be at least 1s (a response must outlive the request that continues it)") }
        }
        if let count = fields["max_count"] { retention.maxCount = try count.integer(in: 1...1_000_000_000) }
        return retention
    }

    /// The folder of a config file path as given ("config/a.yaml" → "config"; "a.yaml" → nil,
    /// the working directory).
    static func folder(of file: String) -> String? {
        guard let slash = file.lastIndex(of: "/") else { return nil }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}
