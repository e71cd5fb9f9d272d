import SwitchyardCore
import SwitchyardJSON

/// What a stream's provider wrote before its first content, held back from the client so that a
/// failure before content can still fail over (or retry) unseen: the client then reads one clean
/// stream from the target that answered. Content is what a client shows or acts on; a chunk
/// that only opens the answer (a role, empty text, `message_start`, `response.created`) is not.
///
/// A value owned by the executor, reset at every try. The check runs only until content has
/// been seen; after that the stream flows as before, unheld.
struct StreamHold {
    /// How the provider's stream chunks read: canonical chat chunks, or a native route's events.
    enum Format {
        case chat
        case anthropicEvents
        case responsesEvents

        init(attempt: Attempt, ingress: EndpointOperation) {
            switch attempt.mode(for: ingress) {
            case .native where ingress == .messages: self = .anthropicEvents
            case .native where ingress == .responses: self = .responsesEvents
            default: self = .chat
            }
        }
    }

    /// Past this many held bytes the hold gives up and the stream starts: a provider that writes
    /// much without content must not grow the gateway's memory.
    static let maxHeldBytes = 64 << 10

    private(set) var chunks: [[UInt8]] = []
    private var heldBytes = 0

    var isEmpty: Bool { chunks.isEmpty }

    /// True when `chunk` was held (no content yet); false when it carries content (or the hold
    /// is full), so the stream starts with what was held, then this chunk.
    mutating func hold(_ chunk: UnsafeRawBufferPointer, format: Format) -> Bool {
        guard heldBytes + chunk.count <= Self.maxHeldBytes, !Self.carriesContent(chunk, format: format) else { return false }
        chunks.append(Array(chunk))
        heldBytes += chunk.count
        return true
    }

    /// Hands out the held chunks (in order) and empties the hold.
    mutating func take() -> [[UInt8]] {
        defer { chunks = []; heldBytes = 0 }
        return chunks
    }

    mutating func reset() {
        if !chunks.isEmpty { chunks = [] }
        heldBytes = 0
    }

    /// Whether a chunk carries content. Anything not understood counts as content: the hold
    /// then ends and the renderer judges the chunk as it always has.
    static func carriesContent(_ chunk: UnsafeRawBufferPointer, format: Format) -> Bool {
        switch format {
        case .chat:
            return chatChunkCarriesContent(chunk)
        case .anthropicEvents:
            guard let type = eventType(chunk) else { return true }
            return !(type.elementsEqual("message_start".utf8) || type.elementsEqual("ping".utf8) || type.elementsEqual("content_block_start".utf8))
        case .responsesEvents:
            guard let type = eventType(chunk) else { return true }
            return !(type.elementsEqual("response.created".utf8) || type.elementsEqual("response.in_progress".utf8)
                || type.elementsEqual("response.output_item.added".utf8) || type.elementsEqual("response.content_part.added".utf8))
        }
    }

    /// A chat chunk carries content when a choice has a finish_reason, or its delta has a member
    /// other than `role` that is not null, "" or []: text, tool calls, a refusal, reasoning.
    /// A chunk without choices (usage, an error) counts as content.
    static func chatChunkCarriesContent(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard let scan = try? TopLevelScan(chunk), let range = scan.range(of: "choices"),
              case .array(let choices)? = try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: chunk[range])), !choices.isEmpty
        else { return true }
        for choice in choices {
            guard case .object(let members) = choice else { return true }
            for (key, value) in members {
                if key == "finish_reason", value != .null { return true }
                if key == "delta" {
                    guard case .object(let delta) = value else { return true }
                    for (name, part) in delta where name != "role" {
                        switch part {
                        case .null: continue
                        case .string(let text) where text.isEmpty: continue
                        case .array(let items) where items.isEmpty: continue
                        default: return true
                        }
                    }
                }
            }
        }
        return false
    }
}
