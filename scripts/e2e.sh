#!/usr/bin/env bash
# End-to-end tests: the official Python SDKs (pinned, in a venv made here) drive the real
# gateway binary, which loads the real plugin libraries and talks to the mock upstream, all on
# 127.0.0.1. Expects `swift build` to have run.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-e2e
requirements=Tests/EndToEnd/requirements.txt
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
fi

export SWITCHYARD_BIN_DIR="${SWITCHYARD_BIN_DIR:-$(swift build --show-bin-path)}"
# Every test, unless the arguments name test files or folders (scripts/e2e.sh -q Tests/EndToEnd/test_x.py).
targets=(Tests/EndToEnd)
for argument in "$@"; do [[ "$argument" == Tests/* ]] && targets=(); done
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "${targets[@]}" "$@"
