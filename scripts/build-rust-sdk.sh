#!/usr/bin/env bash
# Builds and tests the Rust plugin SDK (plugin-sdk/rust) the way a plugin author would, offline
# and with no crates from a registry: the layout tests against the header (they compile
# plugin-sdk/abi/layout.c with cc), the unit tests (error policy, JSON, SSE, panic barrier), then
# the example plugins in release mode, each of which must export sy_plugin_entry only.
# Output: .build/rust/release/lib*.so (the e2e tests load them from there).
# Usage: scripts/build-rust-sdk.sh [--no-test]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust plugin SDK: layout tests against the header, unit tests, example plugins"
# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH; Debian's
# cargo (scripts/install-deps.sh --test) is on PATH. Any cargo >= 1.63 builds the SDK.
cargo=$(command -v cargo || true)
[[ -z "$cargo" && -x "$HOME/.cargo/bin/cargo" ]] && cargo="$HOME/.cargo/bin/cargo"
if [[ -z "$cargo" ]]; then
    echo "error: no cargo on PATH nor in ~/.cargo/bin: run scripts/install-deps.sh --test" >&2
    exit 1
fi
export PATH="$(dirname "$cargo"):$PATH"   # cargo runs the rustc beside it
export CARGO_TARGET_DIR="$PWD/.build/rust"
manifest=plugin-sdk/rust/Cargo.toml

if [[ "${1:-}" != "--no-test" ]]; then
    "$cargo" test --offline --manifest-path "$manifest" --quiet
fi
"$cargo" build --offline --release --manifest-path "$manifest" --quiet

status=0
for library in "$CARGO_TARGET_DIR"/release/librust_*.so; do
    exported=$(nm -D --defined-only "$library" | awk '$2 ~ /^[A-Z]$/ {print $3}')
    if [[ "$exported" != "sy_plugin_entry" ]]; then
        echo "FAIL  $library exports more than sy_plugin_entry: $exported" >&2
        status=1
    else
        echo "built $library (exports sy_plugin_entry only)"
    fi
done
exit $status
