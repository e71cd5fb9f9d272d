import CSwitchyardPlugin
#if canImport(Glibc)
import Glibc
#endif

/// exports.*: the file is a shared object that exports the entry point and nothing the loader
/// cannot resolve. Read from the file first, then by the loader itself (RTLD_NOW, as the host).
enum ExportChecks {
    static let all = [
        ValidationCheck("exports.shared-object") { context in
            switch context.symbols {
            case .success: return .passed
            case .failure(let problem): return .failed("\(context.path): \(problem)")
            }
        },
        ValidationCheck("exports.entry-symbol") { context in
            guard case .success(let symbols) = context.symbols else { return .skipped("not a shared object") }
            guard let entry = symbols.exported.first(where: { $0.name == SY_PLUGIN_ENTRY_SYMBOL }) else {
                return .failed("missing symbol: \(SY_PLUGIN_ENTRY_SYMBOL) is not exported (declare it with SY_EXPORT; export it in the version script)")
            }
            guard entry.isFunction else { return .failed("\(SY_PLUGIN_ENTRY_SYMBOL) is exported but is not a function") }
            let others = symbols.exported.map(\.name).filter { $0 != SY_PLUGIN_ENTRY_SYMBOL }
            if !others.isEmpty {
                let shown = others.prefix(5).joined(separator: ", ")
                context.warn("\(others.count) other exported symbol\(others.count == 1 ? "" : "s") (\(shown)\(others.count > 5 ? ", ..." : "")): "
                    + "a plugin should export \(SY_PLUGIN_ENTRY_SYMBOL) only (hidden visibility, a version script)")
            }
            return .passed
        },
        ValidationCheck("exports.symbols-resolve") { context in
            guard case .success(let symbols) = context.symbols else { return .skipped("not a shared object") }
            _ = dlerror()
            if dlopen(context.path, RTLD_NOW | RTLD_LOCAL) != nil { return .passed }
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            if let range = reason.firstRange(of: "undefined symbol: ") {
                let symbol = reason[range.upperBound...].prefix(while: { $0 != " " && $0 != "," && $0 != ")" })
                return .failed("unresolved symbol \(symbol): the loader cannot resolve it (link with -Wl,-z,defs to catch this at build time); \(reason)")
            }
            let candidates = symbols.undefined.filter { dlsym(nil /* RTLD_DEFAULT */, $0) == nil }
            return .failed("the loader refuses it: \(reason)" + (candidates.isEmpty ? "" : " (undefined: \(candidates.prefix(5).joined(separator: ", ")))"))
        },
    ]
}
