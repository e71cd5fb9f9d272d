/// The blocked terms, lowercased like `FoldedText`, as a trie over units: a scan walks it
/// from each candidate position and learns at once every term that starts there. Immutable after
/// init; shared by every call.
///
/// Lookups are the scan's inner loop: the root answers ASCII units from a table (most positions
/// of most texts stop there), other nodes search their few children linearly.
struct TermTrie: Sendable {
    static let root = 0
    private var rootASCII = [Int32](repeating: -1, count: 128)
    private var rootOther: [UInt32: Int32] = [:]
    /// Per node (the root's only through the two tables above), its children.
    private var children: [[(unit: UInt32, node: Int32)]] = [[]]
    /// Per node, whether a whole term ends there.
    private var terminal: [Bool] = [false]

    init(terms: [String]) {
        for term in terms { insert(FoldedText(term).units) }
    }

    private mutating func insert(_ units: [UInt32]) {
        var node = Self.root
        for unit in units {
            if let next = child(of: node, unit) {
                node = next
                continue
            }
            let added = Int32(terminal.count)
            children.append([])
            terminal.append(false)
            if node != Self.root {
                children[node].append((unit, added))
            } else if unit < 128 {
                rootASCII[Int(unit)] = added
            } else {
                rootOther[unit] = added
            }
            node = Int(added)
        }
        terminal[node] = true
    }

    @inline(__always)
    func child(of node: Int, _ unit: UInt32) -> Int? {
        if node == Self.root {
            let next = unit < 128 ? rootASCII[Int(unit)] : rootOther[unit] ?? -1
            return next < 0 ? nil : Int(next)
        }
        for edge in children[node] where edge.unit == unit { return Int(edge.node) }
        return nil
    }

    func endsTerm(_ node: Int) -> Bool { terminal[node] }
    func hasChildren(_ node: Int) -> Bool { node == Self.root || !children[node].isEmpty }
}
