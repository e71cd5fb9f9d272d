extension JSONValue {
    /// The JSON Pointer of the first object (depth first) that names a key twice; nil when no
    /// object does. Parsers disagree on duplicates (this reader keeps both, lookups see the
    /// first, most upstreams the last), so a document inspected on the gateway's behalf must not
    /// have any: what was inspected and what is sent could differ.
    ///
    /// Reads the bytes without building a tree: keys are compared as written, and an object with
    /// an escaped key is decoded to compare (rare). Nil also for bytes that are not JSON (the
    /// caller's own checks say why).
    public static func firstDuplicateKey(in bytes: UnsafeRawBufferPointer) -> String? {
        duplicate(in: bytes, depth: 0)
    }

    private static func duplicate(in value: UnsafeRawBufferPointer, depth: Int) -> String? {
        guard depth < JSONReader.maximumDepth, let first = value.first else { return nil }
        if first == UInt8(ascii: "[") { return duplicateInElements(of: value, depth: depth) }
        guard first == UInt8(ascii: "{") else { return nil }
        var keys: [Range<Int>] = []
        // Past a few keys, a hash set: comparing each key with every earlier one is quadratic, and
        // a client's object of 40,000 keys then held the event loop for a second (and minutes for
        // a body near max_body_bytes).
        var seen: Set<[UInt8]>?
        var escaped = false
        var found: String?
        _ = try? JSONValidation.forEachMember(value) { key, keyHasEscapes, range in
            let start = key.baseAddress! - value.baseAddress!
            let keyRange = start..<(start + key.count)
            if keyHasEscapes { escaped = true }
            let repeated: Bool
            if seen != nil {
                repeated = !seen!.insert(Array(key)).inserted
            } else {
                repeated = keys.contains(where: { value[$0].elementsEqual(key) })
                keys.append(keyRange)
                if keys.count == Self.linearKeyLimit { seen = Set(keys.map { Array(value[$0]) }) }
            }
            if repeated {
                found = "/" + pointerToken(key)
                return false
            }
            if let inner = duplicate(in: UnsafeRawBufferPointer(rebasing: value[range]), depth: depth + 1) {
                found = "/" + pointerToken(key) + inner
                return false
            }
            return true
        }
        if found == nil, escaped, case .object(let object)? = try? JSONValue.parse(value) {
            var seen = Set<String>()
            for (key, _) in object where !seen.insert(key).inserted { return "/" + pointerToken(Array(key.utf8)) }
        }
        return found
    }

    /// Keys compared one by one before a hash set takes over.
    static let linearKeyLimit = 16

    private static func duplicateInElements(of array: UnsafeRawBufferPointer, depth: Int) -> String? {
        var index = 0
        // Past "[", then each element and its separator.
        var offset = 1
        while offset < array.count {
            while offset < array.count, isSeparator(array[offset]) { offset += 1 }
            guard offset < array.count, array[offset] != UInt8(ascii: "]") else { return nil }
            var reader = JSONReader(UnsafeRawBufferPointer(rebasing: array[offset...]))
            guard (try? reader.skipValue()) != nil else { return nil }
            let element = UnsafeRawBufferPointer(rebasing: array[offset..<(offset + reader.offset)])
            if let inner = duplicate(in: element, depth: depth + 1) { return "/\(index)" + inner }
            offset += reader.offset
            index += 1
        }
        return nil
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == UInt8(ascii: ",")
    }

    private static func pointerToken(_ key: some Collection<UInt8>) -> String {
        var text = ""
        for character in String(decoding: Array(key), as: UTF8.self) {
            switch character {
            case "~": text += "~0"
            case "/": text += "~1"
            default: text.append(character)
            }
        }
        return text
    }
}
