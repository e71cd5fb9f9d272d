import SwitchyardPluginSDK

/// Asks a model, through the gateway's own routing, whether a request (or its answer) may go
/// on, and rejects it when the model says so.
///
/// Threading: `inspect` runs on the request's event loop and only starts the judge request
/// (`http_send` never blocks); it returns `.paused`. The answer arrives in the completion, on a
/// host thread, which records the decision through the verdict (usable from any thread while
/// paused) and resumes exactly once. The object is immutable after init.
final class LLMJudge: Guardrail {
    static let phases: GuardrailPhases = [.request, .response]
    let config: JudgeConfig

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try JudgeConfig(config)
    }

    func inspect(_ inspection: Inspection, verdict: Verdict) throws(PluginError) -> InspectOutcome {
        guard let turns = try Self.turns(inspection) else { return .complete }
        let transcript = Transcript.render(turns, maxCharacters: config.maxCharacters)
        // The completion outlives this hook: it keeps only copies and tokens, never `inspection`.
        let call = inspection.call, config = self.config, phase = inspection.phase
        let request = JudgeRequest.outbound(config, transcript: transcript)
        let status = call.send(request, maxResponseBytes: JudgeRequest.maxResponseBytes) { response in
            Self.conclude(JudgeReply.decision(response, model: config.model), phase: phase, config: config, call: call, verdict: verdict)
        }
        guard status == SY_OK else {
            // The completion never runs: the verdict is still ours to finish, by failing here.
            throw PluginError(status, "could not ask judge model \"\(config.model)\": http_send answered \(JudgeReply.statusName(status))")
        }
        return .paused
    }

    /// What the judge reads: the request's conversation, and in the response phase the answers
    /// after it. nil when there is nothing to judge (no text at all, or an answer without text).
    static func turns(_ inspection: Inspection) throws(PluginError) -> [Turn]? {
        let document: JSONValue
        do { document = try JSONValue.parse(inspection.json) } catch {
            throw PluginError(SY_E_INVALID, "the \(inspection.phase.noun) to judge is not valid JSON: \(error)")
        }
        var turns: [Turn]
        switch inspection.phase {
        case .request:
            turns = Conversation.turns(ofRequest: document)
        case .response, .chunk:
            let answers = Conversation.turns(ofResponse: document)
            guard !answers.isEmpty else { return nil }
            let request = inspection.info.request.isEmpty ? nil : try? JSONValue.parse(inspection.info.request)
            turns = (request.map(Conversation.turns(ofRequest:)) ?? []) + answers
        }
        return turns.contains(where: { !$0.text.isEmpty }) ? turns : nil
    }

    /// Runs in the completion of the judge request, on a host thread: decide, then resume once.
    static func conclude(_ outcome: Result<JudgeDecision, JudgeFailure>, phase: Inspection.Phase, config: JudgeConfig,
                         call: PluginCall, verdict: Verdict) {
        switch outcome {
        case .success(.allow):
            verdict.resume()
        case .success(.block(let reason)):
            call.log(.info, "judge blocked the \(phase.noun): \(reason.isEmpty ? "(no reason given)" : reason)")
            verdict.reject(status: 400, message: config.rejectionMessage(reason: reason), code: "content_policy_violation")
            verdict.resume()
        case .failure(let failure):
            // The client left (or the request ended): the host has already gone on without
            // this verdict, so there is nothing to report or resume.
            if call.isCancelled { return }
            call.log(.warn, failure.reason)
            verdict.resume(SY_E_UPSTREAM)
        }
    }
}

extension JudgeConfig {
    /// `message`, with the judge's reason after it when `show_reason` is on.
    func rejectionMessage(reason: String) -> String {
        guard showReason, !reason.isEmpty else { return message }
        return message + " Reason: " + JudgeReply.excerpt(reason, limit: 300)
    }
}

extension Inspection.Phase {
    var noun: String {
        switch self {
        case .request: "request"
        case .response: "response"
        case .chunk: "stream chunk"
        }
    }
}
