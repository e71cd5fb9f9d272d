import SwitchyardConfig

/// An A/B group's choice of variant: by a hash of the sticky value (the same value always lands
/// on the same variant while the weights stay), or at random by weight without one.
enum StickyVariant {
    /// The value the group is sticky on, if the request carries it.
    static func key(_ sticky: StickyKey?, _ inputs: RoutingInputs) -> String? {
        switch sticky {
        case nil: nil
        case .clientKey: inputs.headers["authorization"] ?? inputs.headers["x-api-key"]
        case .header(let name): inputs.headers[name]
        }
    }

    /// The index of the chosen variant; weights are ≥ 0 with a positive sum. `salt` (the group
    /// name) keeps one client's variants in different groups independent.
    static func choose(_ weights: [Int], key: String?, salt: String, random: inout some RandomNumberGenerator) -> Int {
        let total = weights.reduce(0, +)
        guard total > 0 else { return 0 }
        var point: Int
        if let key {
            point = Int(fnv1a(salt, key) % UInt64(total))
        } else {
            point = Int.random(in: 0..<total, using: &random)
        }
        for (index, weight) in weights.enumerated() {
            if point < weight { return index }
            point -= weight
        }
        return weights.count - 1
    }

    /// FNV-1a, 64 bits, over the salt, a zero byte and the key: stable across processes (unlike
    /// Swift's seeded `Hasher`), so a restart keeps every client on its variant.
    static func fnv1a(_ salt: String, _ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in salt.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ 0) &* 0x100_0000_01b3
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
