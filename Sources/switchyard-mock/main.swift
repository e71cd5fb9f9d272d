// switchyard-mock: a mock upstream LLM speaking the OpenAI chat wire format, for tests and
// benchmarks. See docs/mock-upstream.md for its knobs.
#if canImport(Glibc)
import Glibc
#endif

exit(MockCommand.run(Array(CommandLine.arguments.dropFirst())))
