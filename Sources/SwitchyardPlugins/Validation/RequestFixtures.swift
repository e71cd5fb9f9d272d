import CSwitchyardPlugin

/// The canonical requests (OpenAI-style JSON, docs/canonical.md) the validator sends a provider,
/// and the documents a guardrail inspects in each phase.
public enum RequestFixtures {
    public static let model = "validator-model"

    public static let chat = #"{"model":"validator-model","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"max_tokens":32}"#
    public static let chatStream = #"{"model":"validator-model","messages":[{"role":"user","content":"Say hello."}],"max_tokens":32,"stream":true,"stream_options":{"include_usage":true}}"#

    /// The chat request, streamed or not, as the bytes a hook is given.
    static func chatBytes(stream: Bool) -> [UInt8] { Array((stream ? chatStream : chat).utf8) }
    public static let embeddings = #"{"model":"validator-model","input":"hello"}"#

    public static let response = #"{"id":"chatcmpl-validator","object":"chat.completion","created":1700000000,"model":"validator-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#
    public static let chunk = #"{"id":"chatcmpl-validator","object":"chat.completion.chunk","created":1700000000,"model":"validator-model","choices":[{"index":0,"delta":{"content":"Hello there."},"finish_reason":null}]}"#

    /// The guardrail document of `phase` (SY_PHASE_*).
    public static func guardrailDocument(phase: UInt32) -> String {
        switch phase {
        case SY_PHASE_REQUEST: chat
        case SY_PHASE_RESPONSE: response
        default: chunk
        }
    }
}

/// JSON that is not what a hook expects, for the "never a crash or hang" checks: truncated,
/// not an object, wrong member types, invalid UTF-8, deep nesting, and random bytes (seeded).
public enum MalformedJSON {
    /// Named inputs: the fixed ones derived from `valid` (a JSON document the hook would accept),
    /// then `randomCount` random ones from `random`.
    public static func corpus(from valid: String, randomCount: Int, random: inout ValidationRandom) -> [(name: String, bytes: [UInt8])] {
        let bytes = Array(valid.utf8)
        var corpus: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated-half", Array(bytes.prefix(bytes.count / 2))),
            ("truncated-last-byte", Array(bytes.dropLast())),
            ("array", Array("[]".utf8)),
            ("number", Array("42".utf8)),
            ("string", Array(#""hello""#.utf8)),
            ("null", Array("null".utf8)),
            ("wrong-types", Array(#"{"model":42,"messages":"hello","stream":"yes","max_tokens":"x","choices":{},"input":[1,{}]}"#.utf8)),
            ("wrong-message-types", Array(#"{"model":"m","messages":[{"role":7,"content":{"text":1}},null,3]}"#.utf8)),
            ("invalid-utf8", Array(#"{"model":"m","messages":[{"role":"user","content":""#.utf8) + [0xC3, 0x28, 0xFF, 0xFE] + Array(#""}]}"#.utf8)),
            ("nul-bytes", Array(#"{"model":"m\#u{0}","messages":[]}"#.utf8)),
            ("deep-nesting", Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)),
            ("deep-objects", Array(String(repeating: #"{"a":"#, count: 20_000).utf8) + Array("1".utf8) + Array(repeating: UInt8(ascii: "}"), count: 20_000)),
            ("huge-number", Array(#"{"model":"m","max_tokens":1e99999,"temperature":-0.0e-99999}"#.utf8)),
            ("duplicate-keys", Array(#"{"model":"a","model":"b","messages":[],"messages":[]}"#.utf8)),
        ]
        for index in 0..<randomCount {
            let length = Int.random(in: 1...512, using: &random)
            var noise = random.bytes(length)
            if index % 2 == 0, !bytes.isEmpty {
                // Half of them: the valid document with random bytes overwritten.
                noise = bytes
                for _ in 0..<max(1, bytes.count / 16) { noise[Int.random(in: 0..<noise.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            }
            corpus.append(("random-\(index)", noise))
        }
        return corpus
    }
}
