import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix

/// What the gateway makes of one line of a batch's input file.
enum BatchLineOutcome {
    /// The line goes on as it is (nothing was copied).
    case keep
    /// This line (one JSONL line, no newline) goes on instead.
    case replace([UInt8])
    /// The line is refused, and the batch with it: the client's error, its message starting
    /// with "line N: " (400 `invalid_batch_line`; a guardrail or a batch preparer that failed,
    /// rather than refused, keeps its 503/504).
    case refuse(GatewayError)
}

/// One batch's preparation: the batch preparers that apply to its provider, in order, then the
/// guardrails configured for each line's model (the request phase over the line's `body`, as a
/// request to that model on the line's route would run them). One line in, at most one out, so
/// the file keeps its line count and every error names its line (decision 0016).
///
/// Every line is read (`BatchLine`) as the client wrote it, before any preparer sees it, and
/// again as it goes on when a preparer replaced it; what goes on must name the batch's
/// `endpoint` as its `url` and a `custom_id` no earlier line of the batch used.
///
/// Life: `init` begins every applicable preparer (a refusal throws); `prepare` once per line, in
/// order, the next only after the previous completion ran; `finish` runs the preparers' `end`
/// hooks; `cancel` frees their state, ends paused guardrails and ends the batch's `sy_call`
/// (always call it, also after `finish`; idempotent, and `deinit` calls it too).
///
/// The batch has its own `sy_call` (opened here, with this object as its source): preparers and
/// guardrails receive it, `call_metadata` names the provider, `call_route` answers from the
/// gateway's routing table.
///
/// Threading: loop-confined to `context`'s loop: every method, `deinit` and every completion
/// run there. A guardrail that pauses completes the line later, on the same loop.
final class BatchLinePreparation {
    private let services: GatewayServices
    private let context: LoopContext
    let provider: String
    let requestID: String
    private let call: PluginCall
    /// The preparers' runs, in order; emptied by `cancel`.
    private var runs: [BatchPreparerRun] = []
    /// The batch request's `endpoint`: every line's `url`.
    private let endpoint: String
    /// Each `custom_id` that went on, with the first line that used it (one entry per line at
    /// most: memory bounded by the file the client uploaded).
    private var customIDs: [String: Int] = [:]
    private let record = GuardrailRecord()
    private var pass: GuardrailPass?
    private var cancelled = false

    /// Begins every preparer that applies to `provider` with the client's batch request
    /// (`batchRequest`, lent to `begin` as `info->request`). A preparer whose `begin` fails
    /// refuses the batch: 400 `invalid_batch`, naming it (a failure that is no refusal: 502, 503
    /// or 504, as `preparerError` maps it); the ones begun before are freed. A
    /// request without an `endpoint` string is refused the same way (the batch endpoint checked
    /// it before).
    init(services: GatewayServices, context: LoopContext, provider: String, batchRequest: [UInt8], requestID: String) throws(GatewayError) {
        guard let endpoint = (try? JSONValue.parse(batchRequest))?["endpoint"]?.stringValue else {
            throw GatewayError(status: 400, type: "invalid_request_error", code: "invalid_batch", message: "The batch request names no endpoint.")
        }
        self.endpoint = endpoint
        self.services = services
        self.context = context
        self.provider = provider
        self.requestID = requestID
        call = context.makePluginCall()
        call.open(source: self)
        let description = CallDescription(
            operation: SY_OP_BATCHES, stream: false, attempt: 0, requestID: requestID, upstreamModel: "", request: batchRequest, handle: call.handle)
        for preparer in services.batchPreparers(for: provider) {
            switch preparer.plugin.begin(description) {
            case .success(let run):
                runs.append(run)
            case .failure(let failure):
                cancel()
                throw Self.batchError(preparer.name, failure)
            }
        }
    }

    deinit { cancel() }

    /// Prepares line `number` (from 1; `line` without its newline, not empty). `completion` runs
    /// once, inline or later on the loop (a guardrail that pauses), unless `cancel` comes first.
    func prepare(line: [UInt8], number: Int, completion: @escaping (BatchLineOutcome) -> Void) {
        precondition(pass == nil, "BatchLinePreparation.prepare: the previous line has not completed")
        guard !cancelled else { return completion(.refuse(Self.lineError(number, "the batch was cancelled"))) }
        // The client's line is read first: a preparer reads it too, and one that reads a repeated
        // key differently must never get to decide about it.
        let client: BatchLine
        do throws(BatchLineError) { client = try BatchLine(line) } catch {
            return completion(.refuse(Self.lineError(number, error.message)))
        }
        var current: [UInt8]?
        for run in runs {
            let outcome = (current ?? line).withUnsafeBytes { run.line(number: number, $0) }
            switch outcome {
            case .keep: continue
            case .replace(let bytes): current = bytes
            case .refuse(let failure):
                return completion(.refuse(Self.preparerError(number, run.plugin.name, failure)))
            }
        }
        let parsed: BatchLine
        if let current {
            do throws(BatchLineError) { parsed = try BatchLine(current) } catch {
                return completion(.refuse(Self.lineError(number, error.message)))
            }
        } else {
            parsed = client
        }
        guard parsed.url == endpoint else {
            return completion(.refuse(Self.lineError(number, "url '\(parsed.url)' differs from the batch's endpoint '\(endpoint)'")))
        }
        if let first = customIDs[parsed.customID] {
            return completion(.refuse(Self.lineError(number, "custom_id '\(parsed.customID)' is used by line \(first)")))
        }
        customIDs[parsed.customID] = number
        let unchanged: BatchLineOutcome = current.map { .replace($0) } ?? .keep
        // The model as the client named it, for the guardrails' scope (a preparer may rewrite it).
        guardLine(parsed, number: number, requestedModel: client.model ?? parsed.model, unchanged: unchanged, completion: completion)
    }

    /// The request phase of the guardrails a request for the line's model on its route would run
    /// at `provider` (PlanBuilder's scope, the executor's pass).
    private func guardLine(_ line: BatchLine, number: Int, requestedModel: String?, unchanged: BatchLineOutcome,
                           completion: @escaping (BatchLineOutcome) -> Void) {
        let configured = services.planner.guardrails
        guard !configured.isEmpty else { return completion(unchanged) }
        guard let model = line.model else { return completion(.refuse(Self.lineError(number, "body.model is missing"))) }
        let routing = services.planner.routing
        let resolution = (try? routing.resolve(requestedModel ?? model).0) ?? ModelResolution(requested: model, resolved: model, aliases: [])
        let groups = configured.filter { $0.applies(to: resolution, route: line.route) }
            .groups(phase: SY_PHASE_REQUEST, route: line.route, provider: provider)
        guard !groups.isEmpty else { return completion(unchanged) }
        // BatchLine refused any key named twice: the guardrails read what the provider gets.
        let body = Array(line.bytes[line.body])
        let target = (try? routing.resolve(model))?.1.first { $0.provider == provider }
        let description = CallDescription(
            operation: line.route.abiValue, stream: false, attempt: 0, requestID: requestID, upstreamModel: target?.upstreamModel ?? model,
            request: body, handle: call.handle)
        let pass = GuardrailPass(
            groups: groups, phase: SY_PHASE_REQUEST, document: body, call: description, loop: context.upstream.loop,
            watch: context.hookWatch, record: record, log: services.log)
        self.pass = pass
        pass.start { [self] outcome in
            self.pass = nil
            switch outcome {
            case .allowed(nil):
                completion(unchanged)
            case .allowed(let patched?):
                guard patched.withUnsafeBytes({ JSONValidation.objectError($0) }) == nil else {
                    return completion(.refuse(Self.lineError(number, "the guardrails' patch of body is not a JSON object")))
                }
                completion(.replace(line.replacingBody(patched)))
            case .refused(let error, _):
                completion(.refuse(GatewayError(
                    status: error.status, type: error.type, code: error.status == 400 ? "invalid_batch_line" : error.code, param: error.param,
                    message: "line \(number): \(error.message)")))
            }
        }
    }

    /// Every line was seen: the preparers' `end` hooks, in order. The first failure refuses the
    /// batch (`batchError`, naming the preparer); the later ones are not called.
    func finish() -> GatewayError? {
        for run in runs {
            if let failure = run.end() {
                return Self.batchError(run.plugin.name, failure)
            }
        }
        return nil
    }

    /// Frees every preparer's state, ends a paused guardrail (its completion never runs), tells
    /// each guardrail that inspected a line `call_end`, and ends the batch's `sy_call`. Idempotent.
    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        pass?.cancel()
        pass = nil
        for run in runs { run.close() }
        runs = []
        for guardrail in services.planner.guardrails where record.inspected(guardrail.name) {
            guardrail.plugin.callEnded(call.handle)
        }
        call.end()
        context.keepEnded(call)
    }

    /// A preparer's failure on line `number`: a refusal (SY_E_INVALID, SY_E_UNSUPPORTED, or a
    /// write the host refused) is the client's 400; anything else is the gateway's trouble, as
    /// for a guardrail that failed: 504 when it timed out, 502 for its upstream, else 503.
    static func preparerError(_ number: Int, _ name: String, _ failure: PluginFailure) -> GatewayError {
        failureError(failure, refusedCode: "invalid_batch_line", message: "line \(number): batch preparer '\(name)': \(failure.message)")
    }

    /// A preparer's `begin` or `end` failing: the batch's error, mapped as `preparerError` does.
    static func batchError(_ name: String, _ failure: PluginFailure) -> GatewayError {
        let refused = failure.status == SY_E_INVALID || failure.status == SY_E_UNSUPPORTED
        return failureError(failure, refusedCode: "invalid_batch",
                            message: "Batch preparer '\(name)' \(refused ? "refused" : "failed on") the batch: \(failure.message)")
    }

    private static func failureError(_ failure: PluginFailure, refusedCode: String, message: String) -> GatewayError {
        switch failure.status {
        case SY_E_INVALID, SY_E_UNSUPPORTED:
            return GatewayError(status: 400, type: "invalid_request_error", code: refusedCode, message: message)
        case SY_E_TIMEOUT:
            return GatewayError(status: 504, type: "batch_preparer_error", code: "batch_preparer_timeout", message: message)
        case SY_E_UPSTREAM:
            return GatewayError(status: 502, type: "batch_preparer_error", code: "batch_preparer_failed", message: message)
        default:
            return GatewayError(status: 503, type: "batch_preparer_error", code: "batch_preparer_failed", message: message)
        }
    }

    static func lineError(_ number: Int, _ message: String) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", code: "invalid_batch_line", message: "line \(number): \(message)")
    }
}

extension BatchLinePreparation: PluginCallSource {
    var callRequestID: String { requestID }

    /// Immutable fields only (read under the call registry's lock, from any hook's thread).
    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(requestID: requestID, endpoint: "batches", mode: "native", model: "", requestedModel: "", provider: provider, stream: false)
    }

    /// The routing table (immutable, so any hook's thread may read it).
    var callRouter: (any PluginCallRouter)? { services.planner.routing }
}
