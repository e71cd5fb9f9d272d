// switchyard-load: the benchmark load generator (bench/ drives it). One event loop, one thread.
//
//   switchyard-load --url http://127.0.0.1:8080/v1/chat/completions --body FILE
//                   [--sequential N] [--rate R --duration SECONDS --connections C]
//                   [--warmup N] [--header "Name: value"]...
//
// Prints one JSON object: counts, errors, and latency / first-chunk / chunk-gap percentiles in µs.
#if canImport(Glibc)
import Glibc
#endif

exit(LoadCommand.run(Array(CommandLine.arguments.dropFirst())))
