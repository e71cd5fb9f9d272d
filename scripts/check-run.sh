#!/usr/bin/env bash
# The README's first command, as a test: `make run` builds the release binary and serves the
# embedded default config on 127.0.0.1:8080. This builds the same binary, starts it the same way
# (no config, no API keys), asks it for `echo-1` and stops it. A release-only compile error or a
# default config that no longer starts fails here, not on a new user's machine.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release
log=$(mktemp)
.build/release/switchyard serve >"$log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true; wait $gateway 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    curl -sf http://127.0.0.1:8080/health >/dev/null && break
    kill -0 $gateway 2>/dev/null || { echo "make run: the gateway exited:"; cat "$log"; exit 1; }
    sleep 0.1
done
answer=$(curl -sf http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"echo-1","messages":[{"role":"user","content":"ping from make run"}]}')
grep -q '"content":"ping from make run"' <<<"$answer" || { echo "make run: unexpected answer: $answer"; cat "$log"; exit 1; }
echo "make run: serves echo-1 on 127.0.0.1:8080 with the embedded config"
