import CSwitchyardPlugin
import SwitchyardJSON

/// batch.*: begin / line / end / state_free over a fixture batch: begin succeeds, every line is
/// kept, replaced by one JSON object, or refused with a message (never an output the host
/// refuses); a batch cut short (no end) freed cleanly.
enum BatchPreparerChecks {
    static let batchRequest = #"{"input_file_id":"file-validator","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"team":"validator"}}"#
    static let lines = [
        #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"validator-model","messages":[{"role":"user","content":"Say hello."}]}}"#,
        #"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"other-model","messages":[{"role":"user","content":"Say hi."}],"max_tokens":8}}"#,
        #"{"custom_id":"c","method":"POST","url":"/v1/embeddings","body":{"model":"validator-model","input":"hello"}}"#,
    ]

    static let all = [
        ValidationCheck("batch.lines") { context in with(context.requireBatchPreparer()) { run(context, $0, end: true) } },
        ValidationCheck("batch.cut-short") { context in with(context.requireBatchPreparer()) { run(context, $0, end: false) } },
    ]

    static func begin(_ preparer: BatchPreparerPlugin, _ call: PluginCall, id: String) -> Result<BatchPreparerRun, PluginFailure> {
        preparer.begin(CallDescription(operation: SY_OP_BATCHES, stream: false, attempt: 0, requestID: id,
                                       upstreamModel: RequestFixtures.model, request: Array(batchRequest.utf8), handle: call.handle))
    }

    static func run(_ context: ValidationContext, _ preparer: BatchPreparerPlugin, end: Bool) -> ValidationVerdict {
        ValidationCallSource.withCall("batch", endpoint: "batches") { call in
            let run: BatchPreparerRun
            switch begin(preparer, call, id: "batch") {
            case .failure(let failure):
                return .failed("begin failed on a valid batch request: \(failure)")
            case .success(let started): run = started
            }
            defer { run.close() }
            for (index, line) in lines.enumerated() {
                switch Array(line.utf8).withUnsafeBytes({ run.line(number: index + 1, $0) }) {
                case .keep, .replace: break
                case .refuse(let failure):
                    if failure.refusedByHost { return .failed("line \(index + 1): \(failure)") }
                    if failure.message.hasPrefix("plugin returned status") { return .failed("line \(index + 1) refused without a message: \(failure)") }
                    return .passed  // a refused line ends the batch
                }
                if !end && index == 0 { return .passed }  // cut short: state_free without end
            }
            if end, let failure = run.end(), failure.message.hasPrefix("plugin returned status") {
                return .failed("end failed without a message: \(failure)")
            }
            return .passed
        }
    }
}

extension ValidationContext {
    func requireBatchPreparer() -> Result<BatchPreparerPlugin, ValidationSkip> {
        requireInterface(SY_IFACE_BATCH, kind: "batch preparer").flatMap { instance, table in
            BatchPreparerPlugin(name: instance.name, instance: instance.pluginInstance, hostInstance: instance.host.handle, table: table)
                .map { .success($0) } ?? .failure(ValidationSkip("the batch table is unusable (see manifest.interfaces)"))
        }
    }
}
