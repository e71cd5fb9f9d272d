import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Whole Gemini answers (generateContent, errors) → canonical chat completions.
@Suite struct GeminiProviderResponseTests {
    let harness: ProviderHarness
    let call = ProviderHarness.call(model: "gemini-2.5-flash")

    init() throws { harness = try GeminiFixtures.harness() }

    @Test func textThoughtsAndUsageBecomeAChatCompletion() throws {
        let body = #"""
        {
          "candidates": [
            {
              "content": {
                "parts": [
                  {"text": "The user wants the capital of France.", "thought": true},
                  {"text": "The capital of France "},
                  {"text": "is Paris.", "thoughtSignature": "CiQBDDnWx5Rc"}
                ],
                "role": "model"
              },
              "finishReason": "STOP",
              "index": 0
            }
          ],
          "usageMetadata": {
            "promptTokenCount": 8,
            "candidatesTokenCount": 7,
            "totalTokenCount": 65,
            "cachedContentTokenCount": 4,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}],
            "thoughtsTokenCount": 50
          },
          "modelVersion": "gemini-2.5-flash",
          "responseId": "tTCwacuEBMvnitYP06qsgQY"
        }
        """#
        let transcript = harness.respond(call, text: body)
        #expect(transcript.failure == nil)
        let completion = try #require(transcript.json.first)
        #expect(completion["id"]?.stringValue == "chatcmpl-tTCwacuEBMvnitYP06qsgQY")
        #expect(completion["object"]?.stringValue == "chat.completion")
        #expect(completion["model"]?.stringValue == "gemini-2.5-flash")
        #expect((completion["created"]?.intValue ?? 0) > 1_600_000_000)
        let choice = try #require(completion["choices"]?[0])
        #expect(choice["index"]?.intValue == 0)
        #expect(choice["finish_reason"]?.stringValue == "stop")
        #expect(choice["message"]?["role"]?.stringValue == "assistant")
        #expect(choice["message"]?["content"]?.stringValue == "The capital of France is Paris.")
        #expect(choice["message"]?["reasoning_content"]?.stringValue == "The user wants the capital of France.")
        #expect(choice["message"]?["reasoning_signature"]?.stringValue == "CiQBDDnWx5Rc")
        let expectedUsage: JSONValue = [
            "prompt_tokens": 8, "completion_tokens": 57, "total_tokens": 65,
            "prompt_tokens_details": ["cached_tokens": 4], "completion_tokens_details": ["reasoning_tokens": 50],
        ]
        #expect(completion["usage"] == expectedUsage)
        #expect(transcript.usage == expectedUsage)
    }

    @Test func functionCallsBecomeToolCallsWithGeminiOrSynthesizedIds() throws {
        let body = #"""
        {"candidates": [{"content": {"parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "Es8CCswC"},
            {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}, "id": "gp737npz"}},
            {"functionCall": {"name": "get_time"}}
          ], "role": "model"}, "finishReason": "STOP", "index": 0}],
         "usageMetadata": {"promptTokenCount": 44, "candidatesTokenCount": 15, "totalTokenCount": 59},
         "modelVersion": "gemini-2.5-flash"}
        """#
        let transcript = harness.respond(call, text: body)
        #expect(transcript.failure == nil)
        let message = try #require(transcript.json.first?["choices"]?[0]?["message"])
        #expect(message["content"] == .null)
        #expect(message["reasoning_signature"]?.stringValue == "Es8CCswC")
        #expect(message["tool_calls"] == [
            ["id": "call_0", "type": "function", "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#]],
            ["id": "gp737npz", "type": "function", "function": ["name": "get_weather", "arguments": #"{"city":"Rome"}"#]],
            ["id": "call_2", "type": "function", "function": ["name": "get_time", "arguments": "{}"]],
        ])
        #expect(transcript.json.first?["choices"]?[0]?["finish_reason"]?.stringValue == "tool_calls")
        #expect(transcript.json.first?["id"]?.stringValue == "chatcmpl-req-test")
    }

    static let finishReasons: [(String, String)] = [
        ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"), ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"), ("OTHER", "stop"),
    ]

    @Test(arguments: finishReasons)
    func finishReasonsMapToCanonical(gemini: String, canonical: String) {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"\#(gemini)","index":0}]}"#
        let transcript = harness.respond(call, text: body)
        #expect(transcript.json.first?["choices"]?[0]?["finish_reason"]?.stringValue == canonical)
    }

    @Test func severalCandidatesBecomeChoicesByIndex() {
        let body = #"""
        {"candidates":[
          {"content":{"parts":[{"text":"A"}],"role":"model"},"finishReason":"STOP","index":0},
          {"content":{"parts":[{"text":"B"}],"role":"model"},"finishReason":"MAX_TOKENS","index":1}]}
        """#
        let choices = harness.respond(call, text: body).json.first?["choices"]?.arrayValue ?? []
        #expect(choices.map { $0["message"]?["content"]?.stringValue } == ["A", "B"])
        #expect(choices.map { $0["index"]?.intValue } == [0, 1])
        #expect(choices.map { $0["finish_reason"]?.stringValue } == ["stop", "length"])
    }

    @Test func logprobsMapToOpenAIContentEntries() throws {
        let request = GeminiFixtures.chat(GeminiFixtures.hello, [("logprobs", true), ("top_logprobs", 2)])
        _ = try harness.prepare(request, call).get()
        var call = call
        call.request = request.serialized()
        let body = #"""
        {"candidates":[{"content":{"parts":[{"text":"Hi!"}],"role":"model"},"finishReason":"STOP","index":0,
          "logprobsResult":{
            "topCandidates":[{"candidates":[{"token":"Hi","tokenId":1,"logProbability":-0.01},{"token":"Hello","tokenId":2,"logProbability":-4.6}]},
                             {"candidates":[{"token":"!","tokenId":3}]}],
            "chosenCandidates":[{"token":"Hi","tokenId":1,"logProbability":-0.01},{"token":"!","tokenId":3}]}}]}
        """#
        let choice = try #require(harness.respond(call, text: body).json.first?["choices"]?[0])
        #expect(choice["logprobs"] == [
            "content": [
                ["token": "Hi", "logprob": .number("-0.01"), "bytes": [72, 105], "top_logprobs": [
                    ["token": "Hi", "logprob": .number("-0.01"), "bytes": [72, 105]],
                    ["token": "Hello", "logprob": .number("-4.6"), "bytes": [72, 101, 108, 108, 111]],
                ]],
                ["token": "!", "logprob": 0, "bytes": [33], "top_logprobs": [["token": "!", "logprob": 0, "bytes": [33]]]],
            ],
            "refusal": nil,
        ])
    }

    @Test func blockedPromptIsA400NamingTheReason() {
        let body = #"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH"}]},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}}"#
        let transcript = harness.respond(call, text: body)
        #expect(transcript.failure?.httpStatus == 400)
        #expect(transcript.failure?.retryable == false)
        #expect(transcript.failure?.message.contains("SAFETY") == true)
        #expect(transcript.errors.first?["error"]?["type"]?.stringValue == "invalid_request_error")
        #expect(transcript.json.isEmpty)
    }

    @Test func retryDelayInTheBodyIsReportedForRetryAfter() {
        let body = """
        {"error":{"code":429,"message":"Quota exceeded.","status":"RESOURCE_EXHAUSTED","details":[
          {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},
          {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17.2s"}]}}
        """
        let transcript = harness.respond(call, status: 429, text: body)
        #expect(transcript.failure?.retryable == true)
        #expect(transcript.meta.contains { $0["retry_after_seconds"]?.intValue == 18 })
    }

    static let upstreamErrors: [(Int, String, String, Bool)] = [
        (400, "INVALID_ARGUMENT", "invalid_request_error", false),
        (403, "PERMISSION_DENIED", "permission_error", false),
        (404, "NOT_FOUND", "not_found_error", false),
        (429, "RESOURCE_EXHAUSTED", "rate_limit_error", true),
        (500, "INTERNAL", "api_error", true),
        (503, "UNAVAILABLE", "overloaded_error", true),
    ]

    @Test(arguments: upstreamErrors)
    func geminiErrorsBecomeOpenAIErrorsKeepingTheMessage(status: Int, geminiStatus: String, type: String, retryable: Bool) {
        let body = """
        {
          "error": {
            "code": \(status),
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "\(geminiStatus)"
          }
        }
        """
        let transcript = harness.respond(call, status: status, text: body)
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.failure?.httpStatus == status)
        #expect(transcript.failure?.retryable == retryable)
        #expect(transcript.errors.first == ["error": [
            "message": "Resource has been exhausted (e.g. check quota).", "type": .string(type), "param": nil, "code": .string(geminiStatus),
        ]])
    }

    @Test func arrayWrappedAndNonJSONErrorsAreStillReported() {
        let wrapped = harness.respond(call, status: 400, text: #"[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}]"#)
        #expect(wrapped.errors.first?["error"]?["message"]?.stringValue == "API key not valid.")
        let html = harness.respond(call, status: 502, text: "<html>Bad Gateway</html>")
        #expect(html.failure?.retryable == true)
        #expect(html.errors.first?["error"]?["message"]?.stringValue?.contains("Bad Gateway") == true)
    }

    @Test func bodyThatIsNotJSONIsA502() {
        let transcript = harness.respond(call, text: "not json")
        #expect(transcript.failure?.httpStatus == 502)
    }
}
