#!/usr/bin/env bash
# The end-to-end tests (scripts/e2e.sh) against an AddressSanitizer build of the gateway, the mock
# upstream and every plugin library, in .build-asan. Any ASan report fails the run: the servers
# are subprocesses whose stderr the tests capture, so reports go to files (log_path) and this
# script fails if any file appears. Arguments go to pytest. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

build=.build-asan
swift build --sanitize=address --build-path "$build"
bin="$(swift build --sanitize=address --build-path "$build" --show-bin-path)"

logs="$PWD/$build/asan-logs"
rm -rf "$logs"
mkdir -p "$logs"

# halt_on_error/abort_on_error: the first error kills the process (the test in flight fails too).
# detect_leaks=0: at exit the gateway does not tear down its loops, clients and plugins (they live
# as long as the process, held in reference cycles), so LeakSanitizer reports ~40 "indirect
# leaks" of startup objects on every exit; leaks are not what this stage checks. Add options
# (later ones win) with SWITCHYARD_ASAN_OPTIONS, e.g. detect_leaks=1 to look at them.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=0:log_path=$logs/asan${SWITCHYARD_ASAN_OPTIONS:+:$SWITCHYARD_ASAN_OPTIONS}"
# Swift's crash backtracer would catch ASan's abort and itself trip ASan (reading memory from a
# helper thread), hanging the process; ASan prints the stack instead.
export SWIFT_BACKTRACE=enable=no
# Resident-memory bounds are meaningless under ASan's allocator; those assertions are skipped.
export SWITCHYARD_E2E_ASAN=1
export SWITCHYARD_BIN_DIR="$bin"

set +e
scripts/e2e.sh "$@"
status=$?
set -e

reports=("$logs"/*)
if [[ -e "${reports[0]}" ]]; then
    for report in "${reports[@]}"; do
        echo "== AddressSanitizer report: $report" >&2
        sed -n '/==ERROR: /,/^$/p' "$report" | head -14 >&2
        grep '^SUMMARY' "$report" >&2 || true
    done
    echo "e2e-asan: FAILED: ${#reports[@]} AddressSanitizer report(s) in $logs" >&2
    exit 1
fi
if (( status != 0 )); then
    echo "e2e-asan: FAILED: the end-to-end tests failed under ASan (exit $status)" >&2
    exit "$status"
fi
echo "e2e-asan: no AddressSanitizer reports"
