import SwitchyardPluginSDK

/// Builds what a redacting verdict sends: the texts with their matches replaced, as RFC 6902
/// `replace` operations on the exact strings that changed (the rest of the document is not
/// re-serialized, and the host's patch names what was touched).
struct Redaction {
    let placeholder: String
    private var writer = JSONWriter(capacity: 256)
    private(set) var isEmpty = true

    init(placeholder: String) {
        self.placeholder = placeholder
    }

    /// Adds `{"op":"replace","path":place,"value":text with the byte ranges replaced}`.
    mutating func replace(_ place: TextPlace, text: String, byteRanges: [Range<Int>]) {
        writer.raw(isEmpty ? #"[{"op":"replace","path":"# : #",{"op":"replace","path":"#)
        isEmpty = false
        writer.string(place.pointer)
        writer.raw(#","value":"#)
        writer.string(Self.redacted(text, byteRanges, with: placeholder))
        writer.raw("}")
    }

    /// The JSON Patch document (an array); call once, after at least one `replace`.
    mutating func operations() -> [UInt8] {
        writer.raw("]")
        return writer.bytes
    }

    static func redacted(_ text: String, _ byteRanges: [Range<Int>], with placeholder: String) -> String {
        var text = text
        return text.withUTF8 { utf8 in
            var output: [UInt8] = []
            output.reserveCapacity(utf8.count + byteRanges.count * placeholder.utf8.count)
            var kept = 0
            for range in byteRanges {
                output.append(contentsOf: utf8[kept..<range.lowerBound])
                output.append(contentsOf: placeholder.utf8)
                kept = range.upperBound
            }
            output.append(contentsOf: utf8[kept...])
            return String(decoding: output, as: UTF8.self)
        }
    }
}
