import SwitchyardJSON

/// Deterministic embeddings: a text's vector comes from a hash of its bytes, so the same text gets
/// the same vector in every format (OpenAI `/v1/embeddings`, Gemini `embedContent`) and tests can
/// compare them. Unit length, like real embedding models; 8 dimensions unless asked otherwise.
enum MockEmbedding {
    static let defaultDimensions = 8
    /// OpenAI's largest model has 3072; nothing bigger is plausible.
    static let maximumDimensions = 3072

    /// FNV-1a, 64-bit: tiny, stable across runs and platforms (Swift's `Hasher` is seeded per run).
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Float32 components (what base64 carries), each from a splitmix64 step, then normalized.
    static func vector(for text: String, dimensions: Int) -> [Float] {
        var state = hash(text)
        var values = (0..<dimensions).map { _ -> Float in
            state = state &+ 0x9e37_79b9_7f4a_7c15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            mixed ^= mixed >> 31
            return Float(Int32(truncatingIfNeeded: mixed >> 32)) / Float(Int32.max)
        }
        let length = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if length > 0 { values = values.map { $0 / length } }
        return values
    }

    /// As JSON numbers: Swift prints the shortest text that reads back as the same Float32.
    static func json(_ vector: [Float]) -> JSONValue {
        .array(vector.map { .number("\($0)") })
    }

    /// Base64 of the little-endian float32 bytes, as OpenAI's `encoding_format: "base64"`.
    static func base64(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
        }
        return Base64.encode(bytes)
    }
}

/// Standard base64 (RFC 4648 §4) with padding; the mock has no Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let group = UInt32(bytes[index]) << 16
                | (remaining > 1 ? UInt32(bytes[index + 1]) << 8 : 0)
                | (remaining > 2 ? UInt32(bytes[index + 2]) : 0)
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            output.append(remaining > 1 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
