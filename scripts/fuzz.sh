#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request-head parser and the chunked decoder with libFuzzer, under ASan.
# The target (Tests/Fuzz/HTTPParserFuzz) is compiled with the parser's own sources by swiftc,
# outside Package.swift (docs/decisions/0009-libfuzzer-outside-swiftpm.md; docs/testing.md).
#
#   scripts/fuzz.sh                      build, then fuzz for $FUZZ_SECONDS (default 60) seconds
#   scripts/fuzz.sh --seconds 3600 -fork=2   longer, on two cores; extra arguments go to libFuzzer
#   scripts/fuzz.sh --repro CRASH_FILE   build, then run one saved input and show what broke
#
# Fails (exit 1) on any crash, broken invariant, timeout or out-of-memory, and prints the saved
# reproducer. New inputs go to .build-fuzz/corpus (kept between runs, never committed); the
# committed seeds in Tests/Fuzz/HTTPParserFuzz/corpus are only read.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
repro=""
while (( $# > 0 )); do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --repro) repro="$2"; shift 2 ;;
        *) break ;;
    esac
done

out=.build-fuzz
binary="$out/http-parser-fuzz"
seeds=Tests/Fuzz/HTTPParserFuzz/corpus
mkdir -p "$out/corpus" "$out/artifacts"

# One module: the parser's sources (internal types visible) plus the target. -O keeps Swift's
# bounds and overflow checks; lld avoids gold's warnings about ASan's local symbols.
swiftc -parse-as-library -sanitize=fuzzer,address -O -g -use-ld=lld -module-name HTTPParserFuzz \
    Sources/SwitchyardHTTP/Parser/*.swift Sources/SwitchyardHTTP/HTTPHeaders.swift \
    Tests/Fuzz/HTTPParserFuzz/*.swift -o "$binary"

# libFuzzer, not Swift's backtracer, handles the crash signal (and saves the input).
export SWIFT_BACKTRACE=enable=no

if [[ -n "$repro" ]]; then
    exec "$binary" "$repro"
fi

# 4 KiB inputs reach every limit of the target's small configuration (the decoder's fixed 4 KiB line
# limit is left to the regression tests: inputs that long slow the search more than they help).
log="$out/fuzz.log"
set +e
"$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$@" "$out/corpus" "$seeds" >"$log" 2>&1
status=$?
set -e

grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" || true
if (( status != 0 )); then
    grep -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY|^Base64: ' "$log" | head -6 >&2 || true
    echo "fuzz: FAILED (exit $status); full log: $log" >&2
    for artefact in $(grep -oE "Test unit written to [^ ]+" "$log" | awk '{print $5}'); do
        echo "fuzz: reproducer: $artefact   (rerun: scripts/fuzz.sh --repro $artefact;" \
            "from a CI log: base64 -d <<< 'the Base64 line' > crash)" >&2
    done
    exit 1
fi
echo "fuzz: no failures in ${seconds}s"
