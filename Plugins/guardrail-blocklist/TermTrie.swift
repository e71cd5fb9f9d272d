/// The blocked terms, lowercased like `FoldedText`, as a trie over units: a scan walks it
/// from each candidate position and learns at once every term that starts there. Immutable after
/// init; shared by every call.
struct TermTrie: Sendable {
    static let root = 0
    /// Per node, its children by unit.
    private var edges: [[UInt32: Int]] = [[:]]
    /// Per node, whether a whole term ends there.
    private var terminal: [Bool] = [false]

    init(terms: [String]) {
        for term in terms { insert(FoldedText(term).units) }
    }

    private mutating func insert(_ units: [UInt32]) {
        var node = Self.root
        for unit in units {
            if let next = edges[node][unit] {
                node = next
            } else {
                edges.append([:])
                terminal.append(false)
                edges[node][unit] = edges.count - 1
                node = edges.count - 1
            }
        }
        terminal[node] = true
    }

    func child(of node: Int, _ unit: UInt32) -> Int? { edges[node][unit] }
    func endsTerm(_ node: Int) -> Bool { terminal[node] }
    func hasChildren(_ node: Int) -> Bool { !edges[node].isEmpty }
}
