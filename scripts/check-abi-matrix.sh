#!/usr/bin/env bash
# The ABI compatibility matrix, outside the gateway (scripts/check-abi.sh runs it; the gateway's
# half, old plugins under the new host, is Tests/EndToEnd/test_abi_matrix.py):
#  - new plugin x old host: plugin-sdk/tests/abi-matrix/old_host.c, a host built against the
#    RELEASED 1.0 header (plugin-sdk/abi/released/1.0), offers ABI 1.0 and a 1.0-sized host table
#    whose end touches an unmapped page. Plugins built against the current header (1.1) must
#    negotiate down to 1.0 and never call a 1.1 function (SY_HAS): the C deadline probe and the
#    Swift SDK's plugins (when built: .build/debug). A probe that skips SY_HAS must crash there,
#    which shows the harness catches a read past the table.
#  - old plugin x old host: the same probe built against the released 1.0 header.
#  - a host table or negotiate block shorter than 1.0 is refused with SY_E_ABI, not read past.
set -euo pipefail
cd "$(dirname "$0")/.."

sdk=plugin-sdk
matrix=$sdk/tests/abi-matrix
released=$sdk/abi/released/1.0
out=.build/abi-matrix
mkdir -p "$out"
source scripts/lib/check.sh

plugin_flags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC -fvisibility=hidden -shared -Wl,-z,defs
              "-Wl,--version-script=$sdk/template/plugin.version")
check "old host builds against the released 1.0 header" \
    gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I "$released" "$matrix/old_host.c" -o "$out/old_host" -ldl
check "deadline probe builds against the released 1.0 header" gcc "${plugin_flags[@]}" -I "$released" "$matrix/deadline_probe.c" -o "$out/libprobe_1_0.so"
check "deadline probe builds against the current header" gcc "${plugin_flags[@]}" -I "$sdk/include" "$matrix/deadline_probe.c" -o "$out/libprobe_1_1.so"
check "deadline probe without SY_HAS builds (negative control)" gcc "${plugin_flags[@]}" -DUNCHECKED -I "$sdk/include" "$matrix/deadline_probe.c" -o "$out/libprobe_unchecked.so"

# old_host PLUGIN [options] must exit with `status` and print every expected line.
runs() {  # expected-exit-status plugin "line1|line2|..." [old_host options...]
    local expected=$1 plugin=$2 lines=$3; shift 3
    local status=0
    "$out/old_host" "$plugin" "$@" >"$out/run.out" 2>"$out/run.err" || status=$?
    cat "$out/run.out"; sed 's/^/stderr: /' "$out/run.err"
    [[ $status -eq $expected ]] || { echo "exit status $status, expected $expected"; return 1; }
    local line
    IFS='|' read -ra wanted <<<"$lines"
    for line in "${wanted[@]}"; do
        grep -qF -- "$line" "$out/run.out" || { echo "missing: $line"; return 1; }
    done
}

probe11=$out/libprobe_1_1.so
check "1.1 probe x 1.0 host: negotiates down to 1.0 and never calls call_deadline_ns" \
    runs 0 "$probe11" "negotiated: 1.0 (plugin built for 1.1)|abi=1.0 no deadline (host has no call_deadline_ns)|generate: SY_OK"
check "1.1 probe x 1.0 host, streamed" \
    runs 0 "$probe11" "negotiated: 1.0 (plugin built for 1.1)|chat.completion.chunk|no deadline (host has no call_deadline_ns)" --stream
check "1.0 probe x 1.0 host" \
    runs 0 "$out/libprobe_1_0.so" "negotiated: 1.0 (plugin built for 1.0)|abi=1.0 no deadline (built for ABI 1.0)|generate: SY_OK"
check "a plugin calling a 1.1 function without SY_HAS crashes the 1.0 host (the guard page works)" \
    runs 139 "$out/libprobe_unchecked.so" "negotiated: 1.0 (plugin built for 1.1)"
check "1.1 probe refuses a host table shorter than 1.0 (128 bytes) with SY_E_ABI" \
    runs 2 "$probe11" "negotiate: SY_E_ABI" --host-size 128
check "1.1 probe refuses a short sy_negotiate (16 and 4 bytes) with SY_E_ABI" \
    bash -c "$(declare -f runs); out=$out; runs 2 $probe11 'negotiate: SY_E_ABI' --negotiate-size 16 && runs 2 $probe11 'negotiate: SY_E_ABI' --negotiate-size 4"

# The Swift SDK negotiates down the same way (built by `swift build`; skipped before it).
swift_echo=.build/debug/libProviderEcho.so
swift_openai=.build/debug/libProviderOpenAI.so
if [[ -f "$swift_echo" && -f "$swift_openai" ]]; then
    check "Swift SDK plugin (ProviderEcho, 1.1) x 1.0 host: negotiates down, generate answers" \
        runs 0 "$swift_echo" 'negotiated: 1.0 (plugin built for 1.1)|"content":"hi"|output kind=3|generate: SY_OK'
    check "Swift SDK plugin (ProviderOpenAI, 1.1) x 1.0 host: prepare builds the upstream request" \
        env OLD_HOST_KEY=sk-old-host bash -c "$(declare -f runs); out=$out; runs 0 $swift_openai \
            'negotiated: 1.0 (plugin built for 1.1)|upstream url: http://127.0.0.1:9/v1/chat/completions|: Bearer sk-old-host|upstream body: {|prepare: SY_OK' \
            --prepare --config '{\"base_url\":\"http://127.0.0.1:9/v1\",\"api_key_env\":\"OLD_HOST_KEY\"}'"
    check "Swift SDK plugin refuses a host table shorter than 1.0 with SY_E_ABI" \
        runs 2 "$swift_echo" "negotiate: SY_E_ABI" --host-size 192
    check "Swift SDK plugin refuses a short sy_negotiate (16 and 4 bytes) with SY_E_ABI" \
        bash -c "$(declare -f runs); out=$out; runs 2 $swift_echo 'negotiate: SY_E_ABI' --negotiate-size 16 && runs 2 $swift_echo 'negotiate: SY_E_ABI' --negotiate-size 4"
else
    echo "  skip  Swift SDK plugins under the 1.0 host: build them first (swift build)"
fi

# The Rust SDK too (built by scripts/build-rust-sdk.sh; skipped before it).
rust_openai=.build/rust/release/librust_provider_openai.so
if [[ -f "$rust_openai" ]]; then
    check "Rust SDK plugin (provider-openai-compat, 1.1) x 1.0 host: prepare builds the upstream request" \
        env OLD_HOST_KEY=sk-old-host bash -c "$(declare -f runs); out=$out; runs 0 $rust_openai \
            'negotiated: 1.0 (plugin built for 1.1)|upstream url: http://127.0.0.1:9/v1/chat/completions|: Bearer sk-old-host|prepare: SY_OK' \
            --prepare --config '{\"base_url\":\"http://127.0.0.1:9/v1\",\"api_key_env\":\"OLD_HOST_KEY\"}'"
    check "Rust SDK plugin refuses a host table shorter than 1.0 with SY_E_ABI" \
        runs 2 "$rust_openai" "negotiate: SY_E_ABI" --host-size 192
    check "Rust SDK plugin refuses a short sy_negotiate (16 and 4 bytes) with SY_E_ABI" \
        bash -c "$(declare -f runs); out=$out; runs 2 $rust_openai 'negotiate: SY_E_ABI' --negotiate-size 16 && runs 2 $rust_openai 'negotiate: SY_E_ABI' --negotiate-size 4"
else
    echo "  skip  Rust SDK plugins under the 1.0 host: build them first (scripts/build-rust-sdk.sh)"
fi

echo "matrix: $((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
