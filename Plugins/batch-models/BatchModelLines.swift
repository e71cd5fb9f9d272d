import SwitchyardJSON
import SwitchyardPluginSDK

/// One batch's lines: each `{"custom_id","method","url","body":{"model":...}}` is checked
/// against the gateway's routing (asked once per distinct model) and, when the provider knows
/// the model under another name, rewritten with only `body.model`'s bytes replaced.
/// Loop-confined, like every hook of the batch.
final class BatchModelLines: BatchPreparation {
    private let call: PluginCall
    private let provider: String
    /// Per model named in this batch: the name the provider receives, or why the line is refused.
    private var decided: [String: Result<String, PluginError>] = [:]

    init(call: PluginCall, provider: String) {
        self.call = call
        self.provider = provider
    }

    func line(_ number: UInt64, _ line: UnsafeRawBufferPointer) throws(PluginError) -> [UInt8]? {
        let place = try BatchLineModel.find(in: line)
        let upstream: String
        switch decide(place.model) {
        case .success(let name): upstream = name
        case .failure(let error): throw error
        }
        guard upstream != place.model else { return nil }  // unchanged: nothing written, nothing copied
        return place.replacingModel(in: line, with: upstream)
    }

    private func decide(_ model: String) -> Result<String, PluginError> {
        if let known = decided[model] { return known }
        let decision: Result<String, PluginError>
        if let route = call.route(model: model) {
            if let target = route.targets.first(where: { $0.provider == provider }) {
                decision = .success(target.upstreamModel)
            } else {
                let names = route.targets.map(\.provider).joined(separator: ", ")
                decision = .failure(.invalid("model '\(model)' is served by provider(s) \(names), not by '\(provider)' which holds this batch"))
            }
        } else {
            decision = .failure(.invalid("model '\(model)' is not served by this gateway"))
        }
        decided[model] = decision
        return decision
    }
}

/// Where a batch line's `body.model` is: its value's byte range in the line and its text.
struct BatchLineModel {
    let range: Range<Int>
    let model: String

    static func find(in line: UnsafeRawBufferPointer) throws(PluginError) -> BatchLineModel {
        var body: Range<Int>?
        do {
            try JSONValidation.forEachMember(line) { key, _, value in
                guard JSONValidation.key(key, is: "body") else { return true }
                body = value
                return false
            }
        } catch {
            throw .invalid("the line is not a JSON object (\(error))")
        }
        guard let body, line[body.lowerBound] == UInt8(ascii: "{") else { throw .invalid("the line has no body object") }
        let object = UnsafeRawBufferPointer(rebasing: line[body])
        var model: Range<Int>?
        try? JSONValidation.forEachMember(object) { key, _, value in
            guard JSONValidation.key(key, is: "model") else { return true }
            model = value
            return false
        }
        guard let model, object[model.lowerBound] == UInt8(ascii: "\""),
              let text = (try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: object[model])))?.stringValue
        else { throw .invalid("body.model is missing (a string naming the model)") }
        return BatchLineModel(range: (body.lowerBound + model.lowerBound)..<(body.lowerBound + model.upperBound), model: text)
    }

    /// The line with `body.model`'s value replaced by `name`, every other byte as it was.
    func replacingModel(in line: UnsafeRawBufferPointer, with name: String) -> [UInt8] {
        var json = JSONWriter(capacity: line.count + name.utf8.count)
        json.raw(UnsafeRawBufferPointer(rebasing: line[..<range.lowerBound]))
        json.string(name)
        json.raw(UnsafeRawBufferPointer(rebasing: line[range.upperBound...]))
        return json.bytes
    }
}
