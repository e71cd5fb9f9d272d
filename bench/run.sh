#!/usr/bin/env bash
# One command for the whole benchmark: installs what it needs (nginx, valgrind, the pinned
# LiteLLM peer in a venv), builds release, runs bench/run.py. Arguments go to run.py.
#   bench/run.sh --name baseline            full run (about 21 minutes)
#   bench/run.sh --name smoke --quick       a few minutes
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
missing=()
for package in nginx-light valgrind; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

venv=.venv-litellm
stamp="$venv/.installed-$(sha256sum bench/litellm-requirements.txt | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps -r bench/litellm-requirements.txt
    touch "$stamp"
fi

swift build -c release
exec python3 bench/run.py --litellm-venv "$venv" "$@"
