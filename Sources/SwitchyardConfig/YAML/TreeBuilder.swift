/// Builds a `YAMLNode` tree from libyaml events (a frame per open collection).
///
/// Owned by one `YAMLReader.parse` call; never shared. Sizes count nodes after alias expansion so
/// that the expanded tree stays under `YAMLReader.maxExpandedNodes`.
struct TreeBuilder {
    let sourceName: String
    private(set) var root: YAMLNode?
    private var frames: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var documents = 0

    private struct Frame {
        let isMapping: Bool
        let mark: YAMLNode.Mark
        let anchor: String?
        var size = 1
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        /// The key waiting for its value.
        var pendingKey: YAMLNode?
        /// Where each key was first seen, to name both lines of a duplicate.
        var keyMarks: [String: YAMLNode.Mark] = [:]
        /// Merge sources (`<<`), with the pair index they were written at.
        var merges: [(index: Int, sources: [YAMLNode])] = []
    }

    init(sourceName: String) {
        self.sourceName = sourceName
    }

    mutating func startDocument(at mark: YAMLNode.Mark) throws(ConfigError) {
        documents += 1
        if documents > 1 {
            throw error("expected a single YAML document, found another one", at: mark)
        }
    }

    mutating func scalar(_ text: String, plain: Bool, tag: String?, anchor: String?, at mark: YAMLNode.Mark) throws(ConfigError) {
        var style: YAMLNode.ScalarStyle = plain ? .plain : .quoted
        switch tag {
        case nil, "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
            break
        case "tag:yaml.org,2002:str", "!":
            style = .quoted
        case let other?:
            throw error("unsupported YAML tag \"\(other)\" (only the core schema tags are accepted)", at: mark)
        }
        try add(YAMLNode(.scalar(text, style), mark: mark), size: 1, anchor: anchor)
    }

    mutating func startCollection(mapping: Bool, tag: String?, anchor: String?, at mark: YAMLNode.Mark) throws(ConfigError) {
        if let tag, tag != (mapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq") {
            throw error("unsupported YAML tag \"\(tag)\" (only the core schema tags are accepted)", at: mark)
        }
        if frames.count >= YAMLReader.maxDepth {
            throw error("nesting is deeper than \(YAMLReader.maxDepth) levels", at: mark)
        }
        frames.append(Frame(isMapping: mapping, mark: mark, anchor: anchor))
    }

    mutating func endCollection() throws(ConfigError) {
        let frame = frames.removeLast()
        let node: YAMLNode
        if frame.isMapping {
            node = YAMLNode(.mapping(Self.applyMerges(frame)), mark: frame.mark)
        } else {
            node = YAMLNode(.sequence(frame.items), mark: frame.mark)
        }
        try add(node, size: frame.size, anchor: frame.anchor)
    }

    mutating func alias(_ name: String, at mark: YAMLNode.Mark) throws(ConfigError) {
        guard let target = anchors[name] else {
            throw error("unknown alias \"*\(name)\"", at: mark)  // libyaml does not check this
        }
        try add(target.node, size: target.size, anchor: nil, sizeErrorMark: mark)
    }

    /// `sizeErrorMark` is where a size-limit error points: an alias's own position, since the
    /// node it brings keeps the anchor's mark.
    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?, sizeErrorMark: YAMLNode.Mark? = nil) throws(ConfigError) {
        if let anchor { anchors[anchor] = (node, size) }
        guard !frames.isEmpty else {
            root = node
            return
        }
        let top = frames.count - 1
        frames[top].size += size
        if frames[top].size > YAMLReader.maxExpandedNodes {
            throw error("document is larger than \(YAMLReader.maxExpandedNodes) nodes after alias expansion", at: sizeErrorMark ?? node.mark)
        }
        guard frames[top].isMapping else {
            frames[top].items.append(node)
            return
        }
        guard let key = frames[top].pendingKey else {
            try acceptKey(node, frame: top)
            return
        }
        frames[top].pendingKey = nil
        if case .scalar("<<", .plain) = key.content {
            frames[top].merges.append((frames[top].pairs.count, try mergeSources(node)))
        } else {
            frames[top].pairs.append(YAMLNode.Pair(key: key, value: node))
        }
    }

    private mutating func acceptKey(_ key: YAMLNode, frame top: Int) throws(ConfigError) {
        guard case .scalar(let text, _) = key.content else {
            throw error("mapping keys must be scalars", at: key.mark)
        }
        if let first = frames[top].keyMarks[text] {
            throw error("duplicate key \"\(text)\" (first defined at line \(first.line))", at: key.mark, key: text)
        }
        frames[top].keyMarks[text] = key.mark
        frames[top].pendingKey = key
    }

    /// `<<: *base` or `<<: [*a, *b]`: every source must be a mapping.
    private func mergeSources(_ value: YAMLNode) throws(ConfigError) -> [YAMLNode] {
        let sources: [YAMLNode]
        if case .sequence(let items) = value.content { sources = items } else { sources = [value] }
        for source in sources {
            guard case .mapping = source.content else {
                throw error("merge key \"<<\" needs a mapping or a list of mappings", at: source.mark, key: "<<")
            }
        }
        return sources
    }

    /// Explicit keys win over merged ones; among sources the first one listed wins (YAML merge
    /// key spec). Merged pairs take the place of the `<<` entry, keeping a readable order.
    private static func applyMerges(_ frame: Frame) -> [YAMLNode.Pair] {
        guard !frame.merges.isEmpty else { return frame.pairs }
        var taken = Set(frame.pairs.compactMap(\.key.scalarText))
        var result: [YAMLNode.Pair] = []
        var pending = frame.merges[...]
        for index in 0...frame.pairs.count {
            while let merge = pending.first, merge.index == index {
                pending.removeFirst()
                for case .mapping(let pairs) in merge.sources.map(\.content) {
                    for pair in pairs where taken.insert(pair.key.scalarText ?? "").inserted {
                        result.append(pair)
                    }
                }
            }
            if index < frame.pairs.count { result.append(frame.pairs[index]) }
        }
        return result
    }

    /// The key path of the node being built, e.g. `providers[1].models`.
    private func currentPath(appending key: String? = nil) -> String {
        var path = ""
        for frame in frames {
            if frame.isMapping {
                if let key = frame.pendingKey?.scalarText { path += path.isEmpty ? key : ".\(key)" }
            } else {
                path += "[\(frame.items.count)]"
            }
        }
        if let key { path += path.isEmpty ? key : ".\(key)" }
        return path
    }

    private func error(_ message: String, at mark: YAMLNode.Mark, key: String? = nil) -> ConfigError {
        ConfigError(message, at: SourceLocation(file: sourceName, mark: mark), keyPath: currentPath(appending: key))
    }
}
