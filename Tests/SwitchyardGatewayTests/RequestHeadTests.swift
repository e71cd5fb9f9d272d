import SwitchyardCore
import Testing
@testable import SwitchyardGateway

@Suite struct RequestHeadTests {
    func head(_ json: String) throws(GatewayError) -> RequestHead {
        let bytes = Array(json.utf8)
        do {
            return try bytes.withUnsafeBytes { try RequestHead(chatCompletion: $0) }
        } catch let error as GatewayError {
            throw error
        } catch {
            fatalError("\(error)")
        }
    }

    @Test func readsModelAndStreamWithoutTouchingTheRest() throws {
        let parsed = try head(#"{"messages":[{"role":"user","content":"hi"}],"model":"m\u0031","stream":true}"#)
        #expect(parsed.model == "m1")
        #expect(parsed.stream)
    }

    @Test(arguments: [
        (#"{"messages":[]}"#, "missing_required_parameter", "model"),
        (#"{"model":5,"messages":[]}"#, "invalid_type", "model"),
        (#"{"model":""}"#, "invalid_type", "model"),
        (#"{"model":"m"}"#, "missing_required_parameter", "messages"),
        (#"{"model":"m","messages":"hi"}"#, "invalid_type", "messages"),
        (#"{"model":"m","messages":[],"stream":"yes"}"#, "invalid_type", "stream"),
        (#"{"model":"m","messages":[],"stream_options":{"include_usage":true}}"#, "invalid_value", "stream_options"),
        (#"{"model":"m","messages":[}"#, "invalid_json", nil),
        ("[]", "invalid_json", nil),
    ] as [(String, String, String?)])
    func rejectsWithCodeAndParam(json: String, code: String, param: String?) {
        do {
            _ = try head(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.status == 400)
            #expect(error.code == code)
            #expect(error.param == param)
        }
    }

    @Test func badUTF8HasItsOwnCode() {
        var bytes = Array(#"{"model":"m","messages":["caf"#.utf8)
        bytes += [0xE9]
        bytes += Array(#""]}"#.utf8)
        do {
            _ = try bytes.withUnsafeBytes { try RequestHead(chatCompletion: $0) }
            Issue.record("accepted bad UTF-8")
        } catch let error as GatewayError {
            #expect(error.code == "invalid_utf8")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func modelIsSplicedOnlyWhenItChanges() throws {
        let body = Array(#"{"model": "fast", "messages": []}"#.utf8)
        let parsed = try body.withUnsafeBytes { try RequestHead(chatCompletion: $0) }
        #expect(bodyWithModel(body, range: parsed.modelRange, requested: "fast", upstream: "fast") == nil)
        let rewritten = try #require(bodyWithModel(body, range: parsed.modelRange, requested: "fast", upstream: "gpt-4o \"x\""))
        #expect(String(decoding: rewritten, as: UTF8.self) == #"{"model": "gpt-4o \"x\"", "messages": []}"#)
    }
}
