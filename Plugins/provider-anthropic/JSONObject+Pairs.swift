import SwitchyardPluginSDK

extension JSONObject {
    /// An object literal whose keys stay in the order written: `JSONObject(["type": "auto"])`.
    init(_ pairs: KeyValuePairs<String, JSONValue>) {
        self.init(pairs.map { (key: $0.key, value: $0.value) })
    }
}
