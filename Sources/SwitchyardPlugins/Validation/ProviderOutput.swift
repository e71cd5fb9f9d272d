import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPosix
import Synchronization

/// A sink's Swift side for the validator: keeps a copy of every write the host's check let
/// through, and answers SY_E_CANCELLED once `cancelAfterWrites` writes have been taken (a client
/// that left mid-stream). Called on the hook's thread only.
final class CollectingSink: PluginSinkTarget {
    private(set) var writes: [(kind: UInt32, bytes: [UInt8])] = []
    var cancelAfterWrites: Int?
    /// Writes answered SY_E_CANCELLED.
    private(set) var refusedAsCancelled = 0
    /// When the first write was answered SY_E_CANCELLED (monotonic ns): where the client left.
    private(set) var firstCancelledAt: UInt64?
    /// Runs at that first refused write, before it returns (the call's cancellation).
    var onFirstCancelled: (() -> Void)?

    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
        if let limit = cancelAfterWrites, writes.count >= limit {
            if refusedAsCancelled == 0 {
                firstCancelledAt = monotonicNanoseconds()
                onFirstCancelled?()
            }
            refusedAsCancelled += 1
            return SY_E_CANCELLED
        }
        writes.append((kind, Array(bytes)))
        return SY_OK
    }

    var summary: ProviderOutputSummary { ProviderOutputSummary(writes) }
}

/// What a provider's canonical output amounts to, whatever its ids and timestamps: the text of
/// choice 0 (whole message or concatenated deltas), the last finish reason, the usage (from
/// a SY_OUT_META_JSON or a chunk's `usage`), the embedding vector length, and whether an error
/// object was written. Two runs of the same answer must give equal summaries.
public struct ProviderOutputSummary: Equatable, CustomStringConvertible, Sendable {
    public var content: String?
    public var finishReason: String?
    public var usage: JSONValue?
    public var embeddingLength: Int?
    public var errorWritten = false
    public var jsonWrites = 0

    public init(_ writes: [(kind: UInt32, bytes: [UInt8])]) {
        for write in writes {
            guard let json = try? JSONValue.parse(write.bytes) else { continue }
            switch write.kind {
            case SY_OUT_ERROR_JSON:
                errorWritten = true
            case SY_OUT_META_JSON:
                if let usage = json["usage"], !usage.isNull { self.usage = usage }
            case SY_OUT_JSON:
                jsonWrites += 1
                absorb(json)
            default:
                continue
            }
        }
    }

    private mutating func absorb(_ json: JSONValue) {
        if json["error"]?.objectValue != nil { errorWritten = true }
        if let usage = json["usage"], !usage.isNull { self.usage = usage }
        if let vector = json["data"]?[0]?["embedding"]?.arrayValue { embeddingLength = vector.count }
        guard let choice = json["choices"]?.arrayValue?.first(where: { ($0["index"]?.intValue ?? 0) == 0 }) else { return }
        if let text = choice["message"]?["content"]?.stringValue { content = (content ?? "") + text }
        if let text = choice["delta"]?["content"]?.stringValue { content = (content ?? "") + text }
        if let reason = choice["finish_reason"]?.stringValue { finishReason = reason }
    }

    /// True when the output carries an answer: some text, or an embedding.
    public var hasContent: Bool { !(content ?? "").isEmpty || (embeddingLength ?? 0) > 0 }

    public static func == (a: Self, b: Self) -> Bool {
        a.content == b.content && a.finishReason == b.finishReason && a.embeddingLength == b.embeddingLength
            && a.errorWritten == b.errorWritten && sameUsage(a.usage, b.usage)
    }

    static func sameUsage(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let x?, let y?): ConfigSchema.equal(x, y)
        default: false
        }
    }

    public var description: String {
        var parts: [String] = []
        parts.append("content " + (content.map { JSONValue.string($0).jsonText } ?? "none"))
        parts.append("finish_reason " + (finishReason ?? "none"))
        parts.append("usage " + (usage?.jsonText ?? "none"))
        if let embeddingLength { parts.append("embedding of \(embeddingLength)") }
        if errorWritten { parts.append("an error object") }
        return parts.joined(separator: ", ")
    }
}
