/// Which pointer of an operation is being followed: messages name the place where `from` fails
/// (the summary shows both), and where `path` fails above its last token.
enum PointerRole {
    case path
    case from
}

/// What one patch may still spend (`JSONPatch.maximumSteps`, `JSONPatch.maximumRelocatedValues`).
struct PatchBudget {
    var steps = JSONPatch.maximumSteps
    var relocated = JSONPatch.maximumRelocatedValues

    /// No limit: for `JSONValue.value(at:)`, and for measuring values the patch itself holds.
    static let unlimited = PatchBudget(steps: .max, relocated: .max)

    mutating func take(_ count: Int) throws(JSONPatchError) {
        steps -= count
        if steps < 0 {
            throw JSONPatchError(
                .limitExceeded,
                "the patch takes more than \(JSONPatch.maximumSteps) steps in all (members compared in lookups, array elements shifted)")
        }
    }

    mutating func relocate() throws(JSONPatchError) {
        relocated -= 1
        if relocated < 0 {
            throw JSONPatchError(.limitExceeded, "the patch copies or moves more than \(JSONPatch.maximumRelocatedValues) values in all")
        }
    }
}

extension JSONValue {
    /// Applies one operation in place. On a throw the value is left part-way: `JSONPatch.apply`
    /// works on its own copy and drops it.
    mutating func apply(_ operation: JSONPatch.Operation, budget: inout PatchBudget) throws(JSONPatchError) {
        try budget.take(1)
        switch operation {
        case .add(let path, let value):
            var unlimited = PatchBudget.unlimited  // the value is the patch's own text
            try Self.measure(value, at: path, budget: &unlimited)
            try add(value, at: path, budget: &budget)
        case .remove(let path):
            _ = try remove(at: path, role: .path, budget: &budget)
        case .replace(let path, let value):
            var unlimited = PatchBudget.unlimited
            try Self.measure(value, at: path, budget: &unlimited)
            try modify(at: path, role: .path, budget: &budget) { (target: inout JSONValue, _: inout PatchBudget) throws(JSONPatchError) in target = value }
        case .move(let from, let path):
            if from == path {
                _ = try resolve(from, role: .from, budget: &budget)
                return
            }
            if from.isProperPrefix(of: path) { throw JSONPatchError(.malformed, "cannot move a value into its own child") }
            let value = try remove(at: from, role: .from, budget: &budget)
            // Only a deeper place can nest the value deeper than it already was.
            if path.tokens.count > from.tokens.count { try Self.measure(value, at: path, budget: &budget) }
            try add(value, at: path, budget: &budget)
        case .copy(let from, let path):
            let value = try resolve(from, role: .from, budget: &budget)
            try Self.measure(value, at: path, budget: &budget)
            try add(value, at: path, budget: &budget)
        case .test(let path, let expected):
            // Comparing costs at most the size of `expected`: the patch's own text.
            let actual = try resolve(path, role: .path, budget: &budget)
            if let difference = actual.difference(from: expected) {
                throw JSONPatchError(.testFailed, "test failed: \(difference)")
            }
        }
    }

    /// The value `pointer` names.
    func resolve(_ pointer: JSONPointer, role: PointerRole, budget: inout PatchBudget) throws(JSONPatchError) -> JSONValue {
        var current = self
        for level in pointer.tokens.indices {
            switch current {
            case .object(let object): current = object.entries[try object.memberIndex(pointer, level, role, &budget)].value
            case .array(let items): current = items[try Self.elementIndex(items.count, pointer, level, role)]
            default: throw Self.notAContainer(current, pointer, level)
            }
        }
        return current
    }

    /// Runs `body` on the value named by the first `depth` tokens of `pointer` (all of them by
    /// default), with the budget, changing it in place: each container on the way is taken out of its parent while
    /// it changes, so a document the patch owns is not copied (only what it shares with the
    /// caller, once, on the way to the first change).
    mutating func modify<Result>(
        at pointer: JSONPointer,
        depth: Int? = nil,
        level: Int = 0,
        role: PointerRole,
        budget: inout PatchBudget,
        _ body: (inout JSONValue, inout PatchBudget) throws(JSONPatchError) -> Result
    ) throws(JSONPatchError) -> Result {
        if level == depth ?? pointer.tokens.count { return try body(&self, &budget) }
        if var object = takeObject() {
            defer { self = .object(object) }
            let index = try object.memberIndex(pointer, level, role, &budget)
            return try object.entries[index].value.modify(at: pointer, depth: depth, level: level + 1, role: role, budget: &budget, body)
        }
        if var items = takeArray() {
            defer { self = .array(items) }
            let index = try Self.elementIndex(items.count, pointer, level, role)
            return try items[index].modify(at: pointer, depth: depth, level: level + 1, role: role, budget: &budget, body)
        }
        throw Self.notAContainer(self, pointer, level)
    }

    /// RFC 6902 §4.1: into an object (new member last, or an existing one's value replaced in
    /// place) or an array (inserted before the index, or appended at `-`).
    mutating func add(_ value: JSONValue, at path: JSONPointer, budget: inout PatchBudget) throws(JSONPatchError) {
        guard let name = path.tokens.last else {
            self = value
            return
        }
        let last = path.tokens.count - 1
        try modify(at: path, depth: last, role: .path, budget: &budget) {
            (parent: inout JSONValue, budget: inout PatchBudget) throws(JSONPatchError) in
            if var object = parent.takeObject() {
                defer { parent = .object(object) }
                try budget.take(object.count)
                switch object.lookup(name) {
                case .found(let index): object.entries[index].value = value
                case .missing: object.entries.append((name, value))
                case .duplicate: throw Self.duplicate(path, last, .path)
                }
            } else if var items = parent.takeArray() {
                defer { parent = .array(items) }
                switch JSONPointer.arrayPosition(name) {
                case .end: items.append(value)
                case .index(let index) where index <= items.count:
                    try budget.take(items.count - index)
                    items.insert(value, at: index)
                case .index: throw Self.noSuchIndex(items.count, path, last, .path)
                case .invalid: throw Self.notAnIndex(path, last, .path)
                }
            } else {
                throw Self.notAContainer(parent, path, last)
            }
        }
    }

    /// RFC 6902 §4.2; returns the removed value (for `move`).
    mutating func remove(at pointer: JSONPointer, role: PointerRole, budget: inout PatchBudget) throws(JSONPatchError) -> JSONValue {
        guard !pointer.tokens.isEmpty else { throw JSONPatchError(.malformed, "cannot remove the whole document") }
        let last = pointer.tokens.count - 1
        return try modify(at: pointer, depth: last, role: role, budget: &budget) {
            (parent: inout JSONValue, budget: inout PatchBudget) throws(JSONPatchError) in
            if var object = parent.takeObject() {
                defer { parent = .object(object) }
                let index = try object.memberIndex(pointer, last, role, &budget)
                try budget.take(object.count - index)
                return object.entries.remove(at: index).value
            }
            if var items = parent.takeArray() {
                defer { parent = .array(items) }
                let index = try Self.elementIndex(items.count, pointer, last, role)
                try budget.take(items.count - index)
                return items.remove(at: index)
            }
            throw Self.notAContainer(parent, pointer, last)
        }
    }

    /// The object this value holds, taken out (the value is null until it is put back) so that
    /// changing it does not copy it. `switch self { case .object(var object): … }` is not enough:
    /// without optimization the switch keeps its own reference, and every change copied the
    /// container (10,000 appends to a 200,000-element array took a minute).
    private mutating func takeObject() -> JSONObject? {
        guard case .object(let object) = self else { return nil }
        self = .null
        return object
    }

    /// The array this value holds, taken out like `takeObject()`.
    private mutating func takeArray() -> [JSONValue]? {
        guard case .array(let items) = self else { return nil }
        self = .null
        return items
    }

    /// Checks that `value` placed at `path` nests no deeper than `JSONReader.maximumDepth`,
    /// counting every value it holds against `budget.relocated`; stops at the first limit crossed.
    static func measure(_ value: JSONValue, at path: JSONPointer, budget: inout PatchBudget) throws(JSONPatchError) {
        try walk(value, allowance: JSONReader.maximumDepth - path.tokens.count, budget: &budget)
    }

    private static func walk(_ value: JSONValue, allowance: Int, budget: inout PatchBudget) throws(JSONPatchError) {
        try budget.relocate()
        switch value {
        case .array, .object:
            if allowance <= 0 {
                throw JSONPatchError(.limitExceeded, "the result would nest deeper than \(JSONReader.maximumDepth) levels")
            }
            if case .array(let items) = value {
                for item in items { try walk(item, allowance: allowance - 1, budget: &budget) }
            } else if case .object(let object) = value {
                for entry in object { try walk(entry.value, allowance: allowance - 1, budget: &budget) }
            }
        default:
            break
        }
    }
}

// MARK: one step of a pointer, and its errors

extension JSONObject {
    /// The index of the member `pointer.tokens[level]` names; every member is compared (a name
    /// must occur once), each a step.
    fileprivate func memberIndex(
        _ pointer: JSONPointer, _ level: Int, _ role: PointerRole, _ budget: inout PatchBudget
    ) throws(JSONPatchError) -> Int {
        try budget.take(count)
        switch lookup(pointer.tokens[level]) {
        case .found(let index): return index
        case .missing: throw JSONPatchError(.pathNotFound, "no such member" + JSONValue.place(pointer, level, role))
        case .duplicate: throw JSONValue.duplicate(pointer, level, role)
        }
    }
}

extension JSONValue {
    /// The index of the existing element `pointer.tokens[level]` names, in an array of `count`.
    fileprivate static func elementIndex(_ count: Int, _ pointer: JSONPointer, _ level: Int, _ role: PointerRole) throws(JSONPatchError) -> Int {
        switch JSONPointer.arrayPosition(pointer.tokens[level]) {
        case .index(let index) where index < count: return index
        case .index: throw noSuchIndex(count, pointer, level, role)
        case .end:
            throw JSONPatchError(.pathNotFound, "\"-\" names no element, only the end of the array" + place(pointer, level, role))
        case .invalid: throw notAnIndex(pointer, level, role)
        }
    }

    /// " at /a/b" (the pointer up to `level`) unless that is the whole of `path`: the summary shows it.
    fileprivate static func place(_ pointer: JSONPointer, _ level: Int, _ role: PointerRole) -> String {
        if role == .path && level == pointer.tokens.count - 1 { return "" }
        return " at " + JSONPatchError.quotedPointer(pointer.prefix(level + 1).description)
    }

    fileprivate static func noSuchIndex(_ count: Int, _ pointer: JSONPointer, _ level: Int, _ role: PointerRole) -> JSONPatchError {
        let elements = count == 1 ? "1 element" : "\(count) elements"
        return JSONPatchError(.pathNotFound, "no such array index" + place(pointer, level, role) + " (the array has \(elements))")
    }

    fileprivate static func notAnIndex(_ pointer: JSONPointer, _ level: Int, _ role: PointerRole) -> JSONPatchError {
        JSONPatchError(
            .pathNotFound,
            "not an array index" + place(pointer, level, role) + " (an index is 0 or digits without a leading zero, or \"-\" to append)")
    }

    fileprivate static func duplicate(_ pointer: JSONPointer, _ level: Int, _ role: PointerRole) -> JSONPatchError {
        JSONPatchError(.ambiguousPath, "the member name occurs more than once in its object" + place(pointer, level, role))
    }

    /// `container` (the value at the first `level` tokens) is a scalar.
    fileprivate static func notAContainer(_ container: JSONValue, _ pointer: JSONPointer, _ level: Int) -> JSONPatchError {
        let place = level == 0 ? "the document" : JSONPatchError.quotedPointer(pointer.prefix(level).description)
        return JSONPatchError(.pathNotFound, "\(place) is \(container.kindName), not an object or array")
    }
}
