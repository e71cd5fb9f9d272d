import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix

/// The chunk phase: a stream's canonical chunks pass through each chunk-phase guardrail in
/// turn (a stage each), as text. A stage shows its guardrail one chunk per choice whose
/// `delta.content` is the text that stage has not released yet (held before, then new), and
/// releases what the guardrail leaves (patched) less what it holds back. So a secret split over
/// several chunks is seen whole, and nothing is held longer than the guardrail asks. Chunks
/// without text go through, after the text held for their choice is inspected once more with
/// holding refused; so does the end of the stream.
///
/// Work is a queue of items, each at a stage; an item's output goes to the front of the queue
/// for the next stage, so order is kept. A paused guardrail stops the queue (the executor
/// pauses the upstream meanwhile) until it resumes or its deadline passes.
///
/// Threading: loop-confined, like the executor that owns it.
final class StreamGuard: InspectionOwner {
    /// A chunk on its way through the stages: seen as bytes when it is a one-choice text chunk
    /// (the common case: nothing is parsed or rebuilt but its text), else as a parsed object.
    private enum Carrier {
        case text(TextChunk)
        case object(JSONObject)

        var choiceAndText: (Int, [UInt8])? {
            switch self {
            case .text(let chunk): (chunk.choice, chunk.text)
            case .object(let object): StreamGuard.text(of: object)
            }
        }

        var choice: Int? {
            switch self {
            case .text(let chunk): chunk.choice
            case .object(let object): StreamGuard.choiceIndex(of: object)
            }
        }

        var textOnly: Bool {
            switch self {
            case .text(let chunk): chunk.textOnly
            case .object(let object): StreamGuard.isTextOnly(object)
            }
        }

        /// What the guardrail sees: the chunk with `window` as its text.
        func document(_ window: [UInt8]) -> [UInt8] {
            switch self {
            case .text(let chunk): chunk.with(text: window)
            case .object(let object): JSONValue.object(StreamGuard.with(object, text: window)).serialized()
            }
        }

        /// The chunk with `text` as its text, for the next stage.
        func releasing(_ text: [UInt8]) -> Carrier {
            switch self {
            case .text(let chunk): .text(chunk.replacingText(text))
            case .object(let object): .object(StreamGuard.with(object, text: text))
            }
        }

        var bytes: [UInt8] {
            switch self {
            case .text(let chunk): chunk.bytes
            case .object(let object): JSONValue.object(object).serialized()
            }
        }
    }

    private enum Item {
        /// As the provider wrote it, not looked at yet.
        case fresh([UInt8])
        /// A chunk (one choice at most) arriving at a stage.
        case chunk(Carrier, stage: Int)
        /// The text a stage holds for a choice must go out now (holding refused).
        case flush(choice: Int, stage: Int)
        /// The stream ended; `stage` and those after flush what they hold.
        case end(stage: Int)
    }

    private final class Stage {
        let guardrail: ConfiguredGuardrail
        /// Text not released yet, per choice index.
        var held: [Int: [UInt8]] = [:]
        init(_ guardrail: ConfiguredGuardrail) { self.guardrail = guardrail }
    }

    /// An inspection that paused, and what to do with its verdict.
    private struct Waiting {
        let inspection: RunningInspection
        let chunk: Carrier
        let choice: Int
        let stage: Int
        let text: [UInt8]
    }

    private let stages: [Stage]
    private let call: CallDescription
    private let loop: EventLoop
    private let record: GuardrailRecord
    private let log: GatewayLog
    private let watch: HookWatch
    /// Downstream (the client's renderer); the executor's own checks apply there.
    private let emit: ([UInt8]) -> Void
    private let refuse: (GatewayError, String) -> Void
    private let ended: () -> Void
    /// `isWaiting` changed (the executor pauses or resumes the upstream).
    private let waitingChanged: () -> Void
    private var work: [Item] = []
    /// Provider bytes admitted and not yet looked at (they pile up while a guardrail is paused
    /// and the provider cannot be: `generate` on the loop), bounded by `maxQueuedBytes`.
    private var queuedBytes = 0
    private let maxQueuedBytes: Int
    private var waiting: Waiting?
    private var stopped = false
    /// The last chunk seen, the pattern of the chunks a flush makes (id, created, model); parsed
    /// only when a flush needs it.
    private var template: [UInt8] = []

    init(guardrails: [ConfiguredGuardrail], call: CallDescription, loop: EventLoop, watch: HookWatch, record: GuardrailRecord, log: GatewayLog,
         maxQueuedBytes: Int, emit: @escaping ([UInt8]) -> Void, refuse: @escaping (GatewayError, String) -> Void, ended: @escaping () -> Void,
         waitingChanged: @escaping () -> Void) {
        stages = guardrails.map(Stage.init)
        self.maxQueuedBytes = maxQueuedBytes
        self.watch = watch
        self.call = call
        self.loop = loop
        self.record = record
        self.log = log
        self.emit = emit
        self.refuse = refuse
        self.ended = ended
        self.waitingChanged = waitingChanged
    }

    /// True while a guardrail is paused: the stream waits for it.
    var isWaiting: Bool { waiting != nil }
    /// The end of the stream has gone through every stage (`ended` ran or is running).
    private(set) var hasEnded = false

    /// One canonical chunk from the provider (the host checked it is one JSON object).
    func admit(_ chunk: UnsafeRawBufferPointer) {
        guard !stopped else { return }
        queuedBytes += chunk.count
        guard queuedBytes <= maxQueuedBytes else {
            return stop(GatewayError.upstream(status: 502, message: "The provider wrote more than \(maxQueuedBytes) bytes while a guardrail was deciding."),
                        failure: "provider output queued behind a paused guardrail passed server.max_upstream_response_bytes (\(maxQueuedBytes) bytes)")
        }
        work.append(.fresh(Array(chunk)))
        pump()
    }

    /// The provider ended the stream: what every stage holds goes out, then `ended` runs.
    func finish() {
        guard !stopped else { return }
        work.append(.end(stage: 0))
        pump()
    }

    /// The request is over (client gone, failure elsewhere): pauses end, nothing more is emitted.
    func cancel() {
        stopped = true
        waiting?.inspection.stop()
        waiting = nil
        work = []
    }

    // MARK: the queue

    private func pump() {
        while !stopped, waiting == nil, !work.isEmpty {
            let item = work.removeFirst()
            switch item {
            case .fresh(let bytes):
                queuedBytes -= bytes.count
                look(at: bytes)
            case .chunk(let chunk, let stage): process(chunk, at: stage)
            case .flush(let choice, let stage): flush(choice: choice, at: stage)
            case .end(let stage):
                if stage == stages.count {
                    stopped = true
                    hasEnded = true
                    return ended()
                }
                let choices = stages[stage].held.filter { !$0.value.isEmpty }.keys.sorted()
                work.insert(contentsOf: choices.map { Item.flush(choice: $0, stage: stage) } + [.end(stage: stage + 1)], at: 0)
            }
        }
    }

    /// A chunk as the provider wrote it: a text chunk goes in as bytes; one that cannot carry text
    /// (no "content" member anywhere: finish, tool-call and usage chunks) goes straight out while
    /// nothing is held; anything else is parsed, one choice per chunk (so a hold is about one
    /// choice). A chunk TextChunk cannot read may still carry text (several choices, an odd
    /// index): it must be inspected, never let through.
    private func look(at bytes: [UInt8]) {
        template = bytes
        if let chunk = TextChunk(bytes) { return process(.text(chunk), at: 0) }
        if !Self.mentionsContent(bytes), stages.allSatisfy({ $0.held.isEmpty }) { return emit(bytes) }
        guard let object = (try? JSONValue.parse(bytes))?.objectValue else { return emit(bytes) }
        var pieces: [Item] = [.chunk(.object(object), stage: 0)]
        if let choices = object["choices"]?.arrayValue, choices.count > 1 {
            pieces = choices.map { choice in
                var single = object
                single["choices"] = .array([choice])
                return .chunk(.object(single), stage: 0)
            }
        }
        work.insert(contentsOf: pieces, at: 0)
    }

    /// Whether `"content"` occurs in the bytes (a key or a string: either way the chunk is read).
    static func mentionsContent(_ bytes: [UInt8]) -> Bool {
        let needle: [UInt8] = Array(#""content""#.utf8)
        guard bytes.count >= needle.count else { return false }
        return bytes.withUnsafeBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { haystack in
                var index = 0
                while index + needle.count <= haystack.count {
                    if haystack[index] == 0x22, haystack[index + 1] == 0x63, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
                    index += 1
                }
                return false
            }
        }
    }

    private func process(_ chunk: Carrier, at stage: Int) {
        if stage >= stages.count { return emit(chunk.bytes) }
        guard let (choice, text) = chunk.choiceAndText, !text.isEmpty else {
            // No text: what this stage holds for the chunk's choice goes first.
            var next: [Item] = []
            if let choice = chunk.choice, stages[stage].held[choice]?.isEmpty == false {
                next.append(.flush(choice: choice, stage: stage))
            }
            next.append(.chunk(chunk, stage: stage + 1))
            work.insert(contentsOf: next, at: 0)
            return
        }
        let window = (stages[stage].held.removeValue(forKey: choice) ?? []) + text
        inspect(chunk, choice: choice, window: window, stage: stage, mayHold: true)
    }

    private func flush(choice: Int, at stage: Int) {
        guard let text = stages[stage].held.removeValue(forKey: choice), !text.isEmpty else { return }
        var chunk = (try? JSONValue.parse(template))?.objectValue ?? JSONObject()
        chunk["choices"] = .array([.object(JSONObject([
            (key: "index", value: .number(String(choice))),
            (key: "delta", value: .object(JSONObject([(key: "content", value: .string(""))]))),
            (key: "finish_reason", value: .null),
        ]))])
        chunk["usage"] = nil
        inspect(.object(chunk), choice: choice, window: text, stage: stage, mayHold: false)
    }

    /// Shows the guardrail of `stage` the chunk with `window` as its text.
    private func inspect(_ chunk: Carrier, choice: Int, window: [UInt8], stage: Int, mayHold: Bool) {
        let guardrail = stages[stage].guardrail
        let document = chunk.document(window)
        let inspection = RunningInspection(guardrail: guardrail, phase: SY_PHASE_CHUNK, mayHold: mayHold, loop: loop, owner: self)
        record.noteStarted(guardrail.name)
        inspection.run(call: call, document: document, watch: watch, log: log)
        if inspection.isPaused {
            waiting = Waiting(inspection: inspection, chunk: chunk, choice: choice, stage: stage, text: window)
            waitingChanged()
            return
        }
        settle(inspection, chunk: chunk, choice: choice, stage: stage, window: window, document: document)
    }

    func inspectionResumed(_ inspection: RunningInspection, _ status: sy_status) {
        guard let waiting, waiting.inspection === inspection, inspection.resumed(status) else { return }
        continueAfterPause(waiting)
    }

    func inspectionTimedOut(_ inspection: RunningInspection) {
        guard let waiting, waiting.inspection === inspection else { return }
        continueAfterPause(waiting)
    }

    private func continueAfterPause(_ waiting: Waiting) {
        self.waiting = nil
        let document = waiting.chunk.document(waiting.text)
        settle(waiting.inspection, chunk: waiting.chunk, choice: waiting.choice, stage: waiting.stage, window: waiting.text, document: document)
        pump()
        if !stopped && self.waiting == nil { waitingChanged() }
    }

    /// Applies a settled verdict: the released text goes on to the next stage, the held text
    /// stays; a rejection or a failure under fail_closed ends the stream.
    private func settle(_ inspection: RunningInspection, chunk: Carrier, choice: Int, stage: Int, window: [UInt8], document: [UInt8]) {
        let guardrail = inspection.guardrail
        var problem: (String, timedOut: Bool)?
        var released = window
        var outgoing = chunk
        var held = 0
        switch inspection.result! {
        case .timedOut: problem = ("did not decide within its deadline of \(UpstreamLimits.text(guardrail.deadline))", true)
        case .failed(let message): problem = (message, false)
        case .done:
            if let rejected = inspection.rejection {
                record.note(guardrail.name, phase: SY_PHASE_CHUNK, .reject)
                return stop(GuardrailPass.rejectionError(guardrail.name, status: rejected.status, body: rejected.body),
                            failure: "stream rejected by guardrail \(guardrail.name)")
            }
            if let patch = inspection.patch {
                do throws(GuardrailPatchError) {
                    let patched = try patch.apply(to: document)
                    guard let object = (try? JSONValue.parse(patched))?.objectValue else {
                        throw GuardrailPatchError(message: "the patched chunk is not a JSON object")
                    }
                    outgoing = .object(object)
                    released = Self.text(of: object).map(\.1) ?? []
                    record.note(guardrail.name, phase: SY_PHASE_CHUNK, .patch)
                } catch {
                    problem = ("its patch does not apply: \(error.message)", false)
                }
            }
            if problem == nil {
                held = min(inspection.held, released.count)
                if inspection.patch == nil { record.note(guardrail.name, phase: SY_PHASE_CHUNK, held > 0 ? .hold : .allow) }
            }
        }
        if let (message, timedOut) = problem {
            guard guardrail.failOpen else {
                record.note(guardrail.name, phase: SY_PHASE_CHUNK, timedOut ? .timeout : .failed)
                let error = GatewayError(
                    status: timedOut ? 504 : 503, type: "guardrail_error", code: timedOut ? "guardrail_timeout" : "guardrail_failed",
                    message: "Guardrail '\(guardrail.name)' \(timedOut ? "did not decide in time" : "failed"); the stream was stopped (on_error: fail_closed).")
                return stop(error, failure: "guardrail \(guardrail.name) \(message)")
            }
            record.note(guardrail.name, phase: SY_PHASE_CHUNK, .failedOpen)
            log.warn("guardrail failed, stream continues (on_error: fail_open)", requestID: call.requestID, fields: [
                ("guardrail", guardrail.name), ("phase", "stream"), ("error", message),
            ])
            released = window
            outgoing = chunk
        }
        // Cut where the guardrail asked, moved forward to a character boundary (never more held).
        var cut = released.count - held
        while cut < released.count, released[cut] & 0xC0 == 0x80 { cut += 1 }
        if cut < released.count { stages[stage].held[choice] = Array(released[cut...]) }
        let text = Array(released[..<cut])
        // A chunk whose text is all held, with nothing else in it, is dropped.
        if text.isEmpty && outgoing.textOnly { return }
        work.insert(.chunk(outgoing.releasing(text), stage: stage + 1), at: 0)
    }

    private func stop(_ error: GatewayError, failure: String) {
        cancel()
        refuse(error, failure)
    }

    // MARK: chunk anatomy

    /// The choice index and `delta.content` of a one-choice chunk with text.
    static func text(of chunk: JSONObject) -> (Int, [UInt8])? {
        guard let choice = chunk["choices"]?.arrayValue?.first, let content = choice["delta"]?["content"]?.stringValue, !content.isEmpty else { return nil }
        return (choice["index"]?.intValue ?? 0, Array(content.utf8))
    }

    static func choiceIndex(of chunk: JSONObject) -> Int? {
        guard let choice = chunk["choices"]?.arrayValue?.first else { return nil }
        return choice["index"]?.intValue ?? 0
    }

    /// The chunk with its one choice's `delta.content` set to `text`.
    static func with(_ chunk: JSONObject, text: [UInt8]) -> JSONObject {
        guard case .object(var choice)? = chunk["choices"]?.arrayValue?.first else { return chunk }
        var delta = choice["delta"]?.objectValue ?? JSONObject()
        delta["content"] = .string(String(decoding: text, as: UTF8.self))
        choice["delta"] = .object(delta)
        var result = chunk
        result["choices"] = .array([.object(choice)])
        return result
    }

    /// True when the chunk carries nothing but its choice's text (no role, tool calls, finish
    /// reason, usage or logprobs), so dropping it loses nothing once its text is held.
    static func isTextOnly(_ chunk: JSONObject) -> Bool {
        if let usage = chunk["usage"], usage != .null { return false }
        guard let choice = chunk["choices"]?.arrayValue?.first?.objectValue else { return false }
        for (key, value) in choice where key != "index" && key != "delta" && value != .null { return false }
        guard let delta = choice["delta"]?.objectValue else { return true }
        for (key, value) in delta where key != "content" && value != .null { return false }
        return true
    }
}
