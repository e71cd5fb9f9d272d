import SwitchyardPluginSDK

/// `String.withUTF8` with a typed throw (the standard one rethrows `any Error`). Strings from
/// the JSON parser are native, so this borrows their storage without copying.
func withUTF8Bytes<Result>(of text: String, _ body: (UnsafeRawBufferPointer) throws(PluginError) -> Result) throws(PluginError) -> Result {
    var text = text
    let outcome: Swift.Result<Result, PluginError> = text.withUTF8 { utf8 in
        do throws(PluginError) {
            return .success(try body(UnsafeRawBufferPointer(utf8)))
        } catch {
            return .failure(error)
        }
    }
    return try outcome.get()
}
