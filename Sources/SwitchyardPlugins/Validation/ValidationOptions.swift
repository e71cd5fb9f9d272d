import SwitchyardJSON
#if canImport(Glibc)
import Glibc
#endif

/// The command line of `switchyard plugins validate` (and of its hidden child command, which
/// takes the same options plus `--from`):
///
///     PATH.so [--config JSON] [--seed N] [--timeout SECONDS] [--fixture FILE]...
public struct ValidationOptions: Sendable, Equatable {
    public var path: String
    /// The instance's config, JSON (default `{}`).
    public var config = "{}"
    public var seed: UInt64
    /// Per check: a check still running after this long is a failure (the child is killed).
    public var timeoutSeconds = 60.0
    public var fixtureFiles: [String] = []
    /// The first check to run (the parent's restart after a crash); child only.
    public var from = 0

    public static let usage = "usage: switchyard plugins validate PATH.so [--config JSON] [--seed N] [--timeout SECONDS] [--fixture FILE]..."

    public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// `defaultSeed` is used when `--seed` is not given (the caller picks one and prints it).
    public static func parse(_ arguments: [String], defaultSeed: UInt64) throws(UsageError) -> ValidationOptions {
        var path: String?
        var options = ValidationOptions(path: "", seed: defaultSeed)
        var index = 0
        func value(_ name: String) throws(UsageError) -> String {
            guard index + 1 < arguments.count else { throw UsageError("\(name) needs a value") }
            index += 2
            return arguments[index - 1]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--config":
                let text = try value(argument)
                guard let parsed = try? JSONValue.parse(text) else { throw UsageError("--config is not valid JSON: \(text)") }
                guard parsed.objectValue != nil else { throw UsageError("--config must be a JSON object (the entry's config), got \(text)") }
                options.config = text
            case "--seed":
                let text = try value(argument)
                guard let seed = UInt64(text) else { throw UsageError("--seed needs a non-negative integer, got \(text)") }
                options.seed = seed
            case "--timeout":
                let text = try value(argument)
                guard let seconds = Double(text), seconds > 0, seconds <= 3600 else { throw UsageError("--timeout needs seconds from 0 to 3600, got \(text)") }
                options.timeoutSeconds = seconds
            case "--fixture":
                options.fixtureFiles.append(try value(argument))
            case "--from":
                let text = try value(argument)
                guard let from = Int(text), from >= 0 else { throw UsageError("--from needs a check index") }
                options.from = from
            default:
                guard !argument.hasPrefix("-"), path == nil else { throw UsageError("unexpected argument \"\(argument)\"") }
                path = argument
                index += 1
            }
        }
        guard let path else { throw UsageError("no plugin given") }
        options.path = path
        return options
    }

    /// The arguments that give these options back (for the child), starting at check `from`.
    func arguments(from: Int) -> [String] {
        ["--from", String(from), "--seed", String(seed), "--timeout", String(timeoutSeconds), "--config", config]
            + fixtureFiles.flatMap { ["--fixture", $0] } + [path]
    }

    /// The built-in fixtures after the plugin's own (`--fixture`), which are tried first.
    public func fixtures() throws(UsageError) -> [UpstreamFixture] {
        var own: [UpstreamFixture] = []
        for file in fixtureFiles {
            guard let text = readFile(file) else { throw UsageError("--fixture \(file): cannot read it (\(String(cString: strerror(errno))))") }
            do { own.append(try UpstreamFixture.parse(fileNamed: file, text)) } catch { throw UsageError("--fixture \(error.description)") }
        }
        return own + UpstreamFixtures.all
    }

    private func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk[..<count]
        }
    }
}
