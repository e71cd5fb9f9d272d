import SwitchyardCore

/// One `model_groups:` entry: a public model id served by several targets under a strategy.
public struct ModelGroup: Sendable, Equatable {
    /// The public model id (listed in /v1/models; never also a served model's name).
    public var name: String
    public var strategy: RoutingStrategy
    /// single, fallback, weighted, least_latency, cost: the targets.
    public var targets: [GroupTarget]
    /// conditional, content: rules in order, the first that matches gives the targets.
    public var rules: [GroupRule]
    /// conditional, content: the targets when no rule matches (may be empty: then 400).
    public var defaultTargets: [GroupTarget]
    /// ab: the variants.
    public var variants: [GroupVariant]
    /// ab: what keeps a client on its variant; nil = random by weight.
    public var sticky: StickyKey?
    /// least_latency: the chance a random other target goes first.
    public var exploration: Double
    public var location: SourceLocation

    public init(name: String, strategy: RoutingStrategy, targets: [GroupTarget] = [], rules: [GroupRule] = [], defaultTargets: [GroupTarget] = [],
                variants: [GroupVariant] = [], sticky: StickyKey? = nil, exploration: Double = 0.05, location: SourceLocation) {
        self.name = name
        self.strategy = strategy
        self.targets = targets
        self.rules = rules
        self.defaultTargets = defaultTargets
        self.variants = variants
        self.sticky = sticky
        self.exploration = exploration
        self.location = location
    }

    /// Every target the group names, in config order (duplicates kept).
    public var allTargets: [GroupTarget] {
        targets + rules.flatMap(\.targets) + defaultTargets + variants.flatMap(\.targets)
    }
}

/// A provider, and which of its public models it is called with.
public struct GroupTarget: Sendable, Equatable {
    public var provider: String
    /// The provider's public model name (its upstream name follows from the provider entry).
    public var model: String
    /// weighted: relative share (≥ 1).
    public var weight: Int

    public init(provider: String, model: String, weight: Int = 1) {
        self.provider = provider
        self.model = model
        self.weight = weight
    }
}

/// A conditional or content rule.
public struct GroupRule: Sendable, Equatable {
    /// conditional: header name (lower-cased) → exact value.
    public var headers: [(name: String, value: String)]
    /// conditional: top-level request field → JSON scalar.
    public var fields: [(name: String, value: JSONScalarCondition)]
    /// conditional: the body's `metadata` object member → JSON scalar.
    public var metadata: [(name: String, value: JSONScalarCondition)]
    /// content: a PCRE2 pattern over the messages' text.
    public var pattern: ContentPattern?
    /// content: words any of which (case-insensitive, as written) in the text match.
    public var keywords: [String]
    public var targets: [GroupTarget]

    public init(headers: [(name: String, value: String)] = [], fields: [(name: String, value: JSONScalarCondition)] = [],
                metadata: [(name: String, value: JSONScalarCondition)] = [], pattern: ContentPattern? = nil, keywords: [String] = [],
                targets: [GroupTarget]) {
        self.headers = headers
        self.fields = fields
        self.metadata = metadata
        self.pattern = pattern
        self.keywords = keywords
        self.targets = targets
    }

    public static func == (lhs: GroupRule, rhs: GroupRule) -> Bool {
        lhs.headers.elementsEqual(rhs.headers) { $0 == $1 } && lhs.fields.elementsEqual(rhs.fields) { $0 == $1 }
            && lhs.metadata.elementsEqual(rhs.metadata) { $0 == $1 } && lhs.pattern?.source == rhs.pattern?.source
            && lhs.keywords == rhs.keywords && lhs.targets == rhs.targets
    }
}

/// A JSON scalar a condition compares with: numbers by value (`0` equals `0.0`).
public enum JSONScalarCondition: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
}

/// An A/B variant.
public struct GroupVariant: Sendable, Equatable {
    public var name: String
    public var weight: Int
    public var targets: [GroupTarget]

    public init(name: String, weight: Int, targets: [GroupTarget]) {
        self.name = name
        self.weight = weight
        self.targets = targets
    }
}

/// What an A/B group hashes to keep a client on one variant.
public enum StickyKey: Sendable, Equatable {
    /// The client's credential: `Authorization`, else `x-api-key`.
    case clientKey
    /// A request header (lower-cased name).
    case header(String)
}
