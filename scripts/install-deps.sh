#!/usr/bin/env bash
# Installs what building and testing Switchyard needs on Debian, and nothing that is already
# there. Safe to run again. Usage: scripts/install-deps.sh [--test]
set -euo pipefail

packages=(libcurl4-openssl-dev libyaml-dev pkg-config)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(python3-venv clang)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# clang comes with the Swift toolchain; only install Debian's when no clang is on PATH.
if [[ " ${missing[*]-} " == *" clang "* ]] && command -v clang >/dev/null; then
    missing=("${missing[@]/clang}")
fi
missing=(${missing[@]+"${missing[@]}"})

if (( ${#missing[@]} > 0 )); then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { echo "error: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
