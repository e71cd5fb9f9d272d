import CSwitchyardPlugin
#if canImport(Glibc)
import Glibc
#endif

/// negotiate.*: `sy_plugin_entry` against a host of every minor this host knows (each given the
/// host table as a host of that minor has it), a host of another major, twice in a row; and the
/// table it returns.
enum NegotiationChecks {
    /// What a host of each older minor passes as `sy_host_api.struct_size`: the table ends after
    /// the last function that minor added. The current minor (SY_ABI_MINOR) is the whole table
    /// and needs no line; when the next minor appends a function, the one before gets its line
    /// here. 1.1 appended `call_deadline_ns` after `call_route`, so 1.0's line ends at
    /// `call_route`; when 1.2 comes, 1.1 gets `(1, end(of: \sy_host_api.call_deadline_ns))`.
    static let hostTableSizes: [(minor: UInt32, size: Int)] = [
        (0, end(of: \sy_host_api.call_route)),
    ]

    /// The host table size of `minor`; nil for a minor the table above does not know.
    static func hostTableSize(minor: UInt32) -> Int? {
        if let size = hostTableSizes.first(where: { $0.minor == minor })?.size { return size }
        return minor == SY_ABI_MINOR ? MemoryLayout<sy_host_api>.size : nil
    }

    static func end<T>(of field: KeyPath<sy_host_api, T>) -> Int {
        MemoryLayout<sy_host_api>.offset(of: field)! + MemoryLayout<T>.size
    }

    static var all: [ValidationCheck] {
        (0...SY_ABI_MINOR).map { minor in
            ValidationCheck("negotiate.host-minor-\(minor)") { context in with(entry(context)) { negotiate($0, minor: minor) } }
        } + [
            ValidationCheck("negotiate.other-major") { context in with(entry(context)) { otherMajor($0) } },
            ValidationCheck("negotiate.idempotent") { context in with(entry(context)) { idempotent($0) } },
        ]
    }

    static func entry(_ context: ValidationContext) -> Result<sy_plugin_entry_fn, ValidationSkip> {
        _ = dlerror()
        guard let handle = dlopen(context.path, RTLD_NOW | RTLD_LOCAL) else { return .failure(ValidationSkip("the library does not load")) }
        guard let symbol = dlsym(handle, SY_PLUGIN_ENTRY_SYMBOL) else { return .failure(ValidationSkip("no \(SY_PLUGIN_ENTRY_SYMBOL)")) }
        return .success(unsafeBitCast(symbol, to: sy_plugin_entry_fn.self))
    }

    /// A copy of the host's table as a host of `minor` has it: `struct_size` ends at that minor's
    /// last function, the bytes after it are zero. Kept for the life of the process (a plugin may
    /// keep the pointer).
    static func hostTable(minor: UInt32, size: Int) -> UnsafePointer<sy_host_api> {
        let full = MemoryLayout<sy_host_api>.size
        let copy = UnsafeMutableRawPointer.allocate(byteCount: full, alignment: MemoryLayout<sy_host_api>.alignment)
        copy.initializeMemory(as: UInt8.self, repeating: 0, count: full)
        copy.copyMemory(from: UnsafeRawPointer(HostServices.table), byteCount: min(size, full))
        let table = copy.assumingMemoryBound(to: sy_host_api.self)
        table.pointee.struct_size = UInt32(size)
        table.pointee.abi_minor = minor
        return UnsafePointer(table)
    }

    static func call(_ entry: sy_plugin_entry_fn, major: UInt32 = SY_ABI_MAJOR, minor: UInt32, host: UnsafePointer<sy_host_api>) -> (sy_status, sy_negotiate) {
        var block = sy_negotiate(struct_size: UInt32(MemoryLayout<sy_negotiate>.size), abi_major: major, abi_minor: minor,
                                 required_minor: 0, host: host, plugin: nil)
        let status = entry(&block)
        return (status, block)
    }

    /// Leaves the plugin holding the host's own table, whatever the check gave it.
    static func restore(_ entry: sy_plugin_entry_fn) {
        _ = call(entry, minor: SY_ABI_MINOR, host: HostServices.table)
    }

    static func negotiate(_ entry: sy_plugin_entry_fn, minor: UInt32) -> ValidationVerdict {
        guard let size = hostTableSize(minor: minor) else {
            return .failed("the validator does not know the host table of ABI 1.\(minor): add it to NegotiationChecks.hostTableSizes")
        }
        defer { restore(entry) }
        let (status, block) = call(entry, minor: minor, host: hostTable(minor: minor, size: size))
        if status == SY_E_ABI {
            if block.abi_major != SY_ABI_MAJOR { return .failed("the plugin refused ABI \(SY_ABI_MAJOR).\(minor): it is built for ABI \(block.abi_major).x") }
            if block.required_minor > minor { return .passed }  // it needs a newer host, and says so
            return .failed("the plugin refused ABI \(SY_ABI_MAJOR).\(minor) with SY_E_ABI but required_minor \(block.required_minor) does not exceed it")
        }
        guard status == SY_OK else { return .failed("\(SY_PLUGIN_ENTRY_SYMBOL) returned \(PluginStatus.name(status)) (\(status)) to a host of ABI 1.\(minor)") }
        if block.abi_minor > minor { return .failed("the plugin wrote back minor \(block.abi_minor), above the host's \(minor)") }
        guard let api = block.plugin else { return .failed("SY_OK but no plugin table") }
        return tableProblem(api).map { .failed($0) } ?? .passed
    }

    /// What is wrong with a plugin table (nil: nothing): size, strings, functions.
    static func tableProblem(_ api: UnsafePointer<sy_plugin_api>) -> String? {
        let size = Int(UnsafeRawPointer(api).load(as: UInt32.self))
        let required = MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.get_interface)! + MemoryLayout<UnsafeRawPointer>.size
        guard size >= required else { return "plugin table struct_size \(size) is smaller than the ABI 1.0 table (\(required) bytes)" }
        // Only the struct_size bytes the plugin declares are read; fields past them stay zero.
        var table = sy_plugin_api()
        withUnsafeMutableBytes(of: &table) { copy in
            copy.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(api), count: min(size, copy.count)))
        }
        var problems: [String] = []
        if table.id == nil || table.id.pointee == 0 { problems.append("id is NULL or empty") }
        if table.version == nil { problems.append("version is NULL") }
        if table.manifest_json == nil { problems.append("manifest_json is NULL") }
        if table.instance_new == nil { problems.append("instance_new is NULL") }
        if table.instance_free == nil { problems.append("instance_free is NULL") }
        if table.get_interface == nil { problems.append("get_interface is NULL") }
        return problems.isEmpty ? nil : "plugin table: " + problems.joined(separator: ", ")
    }

    static func otherMajor(_ entry: sy_plugin_entry_fn) -> ValidationVerdict {
        defer { restore(entry) }
        let other = SY_ABI_MAJOR + 1
        let (status, block) = call(entry, major: other, minor: 0, host: HostServices.table)
        guard status == SY_E_ABI else {
            return .failed("a host of ABI \(other).0 was answered \(PluginStatus.name(status)), not SY_E_ABI: the plugin must refuse another major")
        }
        guard block.abi_major != other else { return .failed("SY_E_ABI, but the plugin did not write its own major back (still \(other))") }
        return .passed
    }

    static func idempotent(_ entry: sy_plugin_entry_fn) -> ValidationVerdict {
        let (first, a) = call(entry, minor: SY_ABI_MINOR, host: HostServices.table)
        let (second, b) = call(entry, minor: SY_ABI_MINOR, host: HostServices.table)
        guard first == second else { return .failed("called twice, \(SY_PLUGIN_ENTRY_SYMBOL) answered \(PluginStatus.name(first)) then \(PluginStatus.name(second))") }
        guard first == SY_OK else { return .skipped("the plugin refuses this host") }
        guard a.plugin == b.plugin, a.abi_minor == b.abi_minor else {
            return .failed("called twice, \(SY_PLUGIN_ENTRY_SYMBOL) returned different tables or minors (the table must be static)")
        }
        return .passed
    }
}
