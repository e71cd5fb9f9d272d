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
    /// with "line N: " (400 `invalid_batch_line`; a guardrail that failed keeps its 503/504).
    case refuse(GatewayError)
}

/// One batch's preparation: the batch preparers that apply to its provider, in order, then the
/// guardrails configured for each line's model (the request phase over the line's `body`, as a
/// request to that model on the line's route would run them). One line in, at most one out, so
/// the file keeps its line count and every error names its line (decision 0016).
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
    private let record = GuardrailRecord()
    private var pass: GuardrailPass?
    private var cancelled = false

    /// Begins every preparer that applies to `provider` with the client's batch request
    /// (`batchRequest`, lent to `begin` as `info->request`). A preparer whose `begin` fails
    /// refuses the batch: 400 `invalid_batch`, naming it; the ones begun before are freed.
    init(services: GatewayServices, context: LoopContext, provider: String, batchRequest: [UInt8], requestID: String) throws(GatewayError) {
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
                throw GatewayError(status: 400, type: "invalid_request_error", code: "invalid_batch",
                                   message: "Batch preparer '\(preparer.name)' refused the batch: \(failure.message)")
            }
        }
    }

    deinit { cancel() }

    /// Prepares line `number` (from 1; `line` without its newline, not empty). `completion` runs
    /// once, inline or later on the loop (a guardrail that pauses), unless `cancel` comes first.
    func prepare(line: [UInt8], number: Int, completion: @escaping (BatchLineOutcome) -> Void) {
        precondition(pass == nil, "BatchLinePreparation.prepare: the previous line has not completed")
        guard !cancelled else { return completion(.refuse(Self.lineError(number, "the batch was cancelled"))) }
        // The model as the client named it, for the guardrails' scope (a preparer may rewrite it).
        let requestedModel = services.planner.guardrails.isEmpty ? nil : try? BatchLine(line).model
        var current: [UInt8]?
        for run in runs {
            let outcome = (current ?? line).withUnsafeBytes { run.line(number: number, $0) }
            switch outcome {
            case .keep: continue
            case .replace(let bytes): current = bytes
            case .refuse(let failure):
                return completion(.refuse(Self.lineError(number, "batch preparer '\(run.plugin.name)': \(failure.message)")))
            }
        }
        let parsed: BatchLine
        do throws(BatchLineError) { parsed = try BatchLine(current ?? line) } catch {
            return completion(.refuse(Self.lineError(number, error.message)))
        }
        let unchanged: BatchLineOutcome = current.map { .replace($0) } ?? .keep
        guardLine(parsed, number: number, requestedModel: requestedModel ?? parsed.model, unchanged: unchanged, completion: completion)
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
        let body = Array(line.bytes[line.body])
        // As on the request path: a key named twice could let the guardrails and the provider
        // read different values.
        if let path = body.withUnsafeBytes({ JSONValue.firstDuplicateKey(in: $0) }) {
            return completion(.refuse(Self.lineError(number, "body names a key twice (at \(path)); lines checked by guardrails must not repeat keys")))
        }
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
    /// batch (400 `invalid_batch`, naming the preparer); the later ones are not called.
    func finish() -> GatewayError? {
        for run in runs {
            if let failure = run.end() {
                return GatewayError(status: 400, type: "invalid_request_error", code: "invalid_batch",
                                    message: "Batch preparer '\(run.plugin.name)' refused the batch: \(failure.message)")
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

    func callRoute(model: String) -> [UInt8] { services.planner.routing.routeJSON(for: model) }
}
