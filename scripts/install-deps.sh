#!/usr/bin/env bash
# Installs what building and testing Switchyard needs on Debian, and nothing that is already
# there. Safe to run again. Usage: scripts/install-deps.sh [--test]
set -euo pipefail

packages=(libcurl4-openssl-dev libyaml-dev libpcre2-dev libsqlite3-dev libhiredis-dev pkg-config)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(python3-venv clang g++ binutils redis-server)
fi

missing=()
for package in "${packages[@]}"; do
    # clang comes with the Swift toolchain; Debian's is needed only when none is on PATH.
    [[ "$package" == clang ]] && command -v clang >/dev/null && continue
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ "${1:-}" == "--test" ]]; then
    # The tests run python3 (SDK end to end, a TLS test server) and openssl (a test certificate);
    # any python3 on PATH will do.
    command -v python3 >/dev/null || missing+=(python3)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v make >/dev/null || missing+=(make)
    command -v cargo >/dev/null || [[ -x "$HOME/.cargo/bin/cargo" ]] || missing+=(cargo)  # plugin-sdk/rust (any cargo >= 1.63)
fi

if (( ${#missing[@]} > 0 )); then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { echo "error: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
