// switchyard-mock: a mock upstream LLM speaking the OpenAI (chat, Responses, embeddings),
// Anthropic Messages and Gemini wire formats, for tests and benchmarks. See docs/mock-upstream.md
// for its endpoints and knobs.
#if canImport(Glibc)
import Glibc
#endif

exit(MockCommand.run(Array(CommandLine.arguments.dropFirst())))
