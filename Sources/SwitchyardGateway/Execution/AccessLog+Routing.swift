import SwitchyardCore

extension AccessLog {
    /// `strategy=`, `group=` and `variant=` when set, and `skipped="provider:reason,..."` when a
    /// candidate was left out (provider names and reasons need no escaping: `[a-z0-9_-]`).
    func writeRouting(_ routing: RoutingRecord, into line: inout LogLine) {
        line.field("strategy", word: Self.word(routing.strategy))
        if let group = routing.group { line.field("group", group) }
        if let variant = routing.variant { line.field("variant", variant) }
        guard routing.skippedAny else { return }
        line.quotedField("skipped") { bytes in
            var first = true
            for candidate in routing.candidates {
                guard let skip = candidate.skip else { continue }
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                bytes.appendUTF8(candidate.provider)
                bytes.append(UInt8(ascii: ":"))
                bytes.appendUTF8(skip)
            }
        }
    }

    /// The strategy's name without building a String per line.
    private static func word(_ strategy: RoutingStrategy) -> StaticString {
        switch strategy {
        case .single: "single"
        case .fallback: "fallback"
        case .weighted: "weighted"
        case .leastLatency: "least_latency"
        case .cost: "cost"
        case .conditional: "conditional"
        case .content: "content"
        case .ab: "ab"
        }
    }
}
