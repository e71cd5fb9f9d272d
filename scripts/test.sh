#!/usr/bin/env bash
# Every test Switchyard has, in order of cost. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

echo "== build (debug): the gateway, the mock upstream and the plugin libraries"
swift build

echo "== swift test"
swift test

echo "== make run, as the README gives it: release build, embedded config, echo-1 on 127.0.0.1:8080"
scripts/check-run.sh

echo "== Rust plugin SDK: its tests, and the example plugins the ABI matrix and the e2e tests load"
scripts/build-rust-sdk.sh

echo "== plugin ABI: header compile matrix, layout pins, exported symbols, old x new matrix"
scripts/check-abi.sh

echo "== end to end: the official openai SDK against the gateway and the mock upstream"
scripts/e2e.sh

echo "== fuzz: the request-head parser and the chunked decoder (libFuzzer + ASan, ${FUZZ_SECONDS:-60} s)"
scripts/fuzz.sh

echo "== end to end under AddressSanitizer: the same tests against the ASan build in .build-asan"
scripts/e2e-asan.sh
