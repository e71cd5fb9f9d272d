#!/usr/bin/env bash
# Every test Switchyard has, in order of cost. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

echo "== build (debug): the gateway, the mock upstream and the plugin libraries"
swift build

echo "== swift test"
swift test

echo "== plugin ABI: header compile matrix, layout pins, exported symbols"
scripts/check-abi.sh

echo "== end to end: the official openai SDK against the gateway and the mock upstream"
scripts/e2e.sh
