#!/usr/bin/env bash
# Checks the plugin ABI the way plugin authors depend on it:
#  1. the header compiles on its own as C99/C11/C17 and C++11/17/20 under gcc and clang, with
#     -Wall -Wextra -Werror -pedantic;
#  2. the struct layout only grows: every released minor's pin (plugin-sdk/abi/layout-1.N.txt)
#     against the current header, and each pin against the one before (see
#     plugin-sdk/abi/check-layout.sh for the rule); the released 1.0 header
#     (plugin-sdk/abi/released/1.0) is exactly the layout pinned for 1.0;
#  3. the C example plugins (a provider, a guardrail, an enricher, a batch preparer) and the
#     template build with the recommended flags and export sy_plugin_entry only;
#  4. the C SDK's header-only helpers (switchyard_upstream_error.h: the upstream error policy;
#     switchyard_json.h: reading JSON members; switchyard_sse.h: a stream line by line) compile
#     under the same matrix and pass their unit tests;
#  5. the compatibility matrix outside the gateway (scripts/check-abi-matrix.sh): plugins of the
#     current header under a 1.0 host, and short host tables refused.
set -euo pipefail
cd "$(dirname "$0")/.."

sdk=plugin-sdk
out=.build/abi-check
mkdir -p "$out"
source scripts/lib/check.sh

# clang ships with the Swift toolchain; both compilers are required, not optional.
cc_clang=$(command -v clang || echo /opt/swift/usr/bin/clang)
cxx_clang=$(command -v clang++ || echo /opt/swift/usr/bin/clang++)
flags=(-Wall -Wextra -Werror -pedantic -I "$sdk/include")
for std in c99 c11 c17; do
    check "gcc -std=$std" gcc "${flags[@]}" -std=$std -c "$sdk/tests/compile/main.c" -o "$out/main-gcc-$std.o"
    check "clang -std=$std" "$cc_clang" "${flags[@]}" -std=$std -c "$sdk/tests/compile/main.c" -o "$out/main-clang-$std.o"
done
for std in c++11 c++17 c++20; do
    check "g++ -std=$std" g++ "${flags[@]}" -std=$std -c "$sdk/tests/compile/main.cc" -o "$out/main-gxx-$std.o"
    check "clang++ -std=$std" "$cxx_clang" "${flags[@]}" -std=$std -c "$sdk/tests/compile/main.cc" -o "$out/main-clangxx-$std.o"
done

# The C SDK's header-only helpers (include/switchyard_upstream_error.h, switchyard_json.h,
# switchyard_sse.h), each with its unit test under the same matrix, run once.
for helper in upstream-error:upstream_error_test json:json_test sse:sse_test; do
    name=${helper%%:*}
    test_source="$sdk/tests/$name/${helper#*:}"
    for std in c99 c11 c17; do
        check "$name helper: gcc -std=$std" gcc "${flags[@]}" -std=$std "$test_source.c" -o "$out/$name-gcc-$std"
        check "$name helper: clang -std=$std" "$cc_clang" "${flags[@]}" -std=$std "$test_source.c" -o "$out/$name-clang-$std"
    done
    for std in c++11 c++17 c++20; do
        check "$name helper: g++ -std=$std" g++ "${flags[@]}" -std=$std "$test_source.cc" -o "$out/$name-gxx-$std"
        check "$name helper: clang++ -std=$std" "$cxx_clang" "${flags[@]}" -std=$std "$test_source.cc" -o "$out/$name-clangxx-$std"
    done
    check "$name helper: its unit test" "$out/$name-gcc-c11"
done

# The minor of the current header (SY_ABI_MINOR).
minor=$(sed -n 's/^#define SY_ABI_MINOR \([0-9]*\)u.*/\1/p' "$sdk/include/switchyard_plugin.h")
released_layout_is_pinned() {  # minor version, e.g. 1.0
    gcc -Wall -Wextra -Werror -pedantic -std=c99 -I "$sdk/abi/released/$1" "$sdk/abi/layout.c" -o "$out/layout-$1" &&
        "$out/layout-$1" | diff -u "$sdk/abi/layout-$1.txt" -
}

check "layout generator builds" gcc "${flags[@]}" -std=c99 "$sdk/abi/layout.c" -o "$out/layout"
if [[ -x "$out/layout" ]]; then
    "$out/layout" > "$out/layout-current.txt"
    layout_check="$sdk/abi/check-layout.sh"
    for pin in "$sdk"/abi/layout-1.*.txt; do
        check "layout only grows ($(basename "$pin") -> current header)" "$layout_check" "$pin" "$out/layout-current.txt"
    done
    check "1.1 pin grows the 1.0 pin (abi/layout-1.0.txt -> abi/layout-1.1.txt)" "$layout_check" "$sdk/abi/layout-1.0.txt" "$sdk/abi/layout-1.1.txt"
    check "the current header's minor has its pin (abi/layout-1.$minor.txt = current layout)" diff -u "$sdk/abi/layout-1.$minor.txt" "$out/layout-current.txt"
    check "released 1.0 header declares ABI 1.0" grep -q '^#define SY_ABI_MINOR 0u' "$sdk/abi/released/1.0/switchyard_plugin.h"
    check "released 1.0 header has exactly the pinned 1.0 layout" released_layout_is_pinned 1.0
    # The checker itself: moved, squeezed-in and shrunk layouts must fail it; growth at the end must not.
    sed 's/sy_error.code offset=4/sy_error.code offset=8/' "$out/layout-current.txt" > "$out/layout-moved.txt"
    check "layout checker rejects a moved field" bash -c "! $layout_check $sdk/abi/layout-1.0.txt $out/layout-moved.txt"
    { cat "$out/layout-current.txt"; echo "sy_error.squeezed offset=12 size=4"; } > "$out/layout-squeezed.txt"
    check "layout checker rejects a field added inside a struct" bash -c "! $layout_check $sdk/abi/layout-1.0.txt $out/layout-squeezed.txt"
    sed 's/^sy_bytes sizeof=16$/sy_bytes sizeof=8/' "$out/layout-current.txt" > "$out/layout-shrunk.txt"
    check "layout checker rejects a smaller struct" bash -c "! $layout_check $sdk/abi/layout-1.0.txt $out/layout-shrunk.txt"
    sed 's/^sy_sink size=8$/sy_sink size=16/' "$out/layout-current.txt" > "$out/layout-handle.txt"
    check "layout checker rejects a resized handle" bash -c "! $layout_check $sdk/abi/layout-1.0.txt $out/layout-handle.txt"
    { sed 's/^sy_error sizeof=528$/sy_error sizeof=536/' "$out/layout-current.txt"; echo "sy_error.added offset=528 size=8"; } > "$out/layout-grown.txt"
    check "layout checker accepts a field added at the end" "$layout_check" "$sdk/abi/layout-1.0.txt" "$out/layout-grown.txt"
fi

check "C example plugin builds (hidden visibility, version script, -z defs)" make -s -C "$sdk/examples/c/provider-static" OUT="$PWD/$out"
check "C example guardrail builds (hidden visibility, version script, -z defs)" make -s -C "$sdk/examples/c/guardrail-deny" OUT="$PWD/$out"
check "C example enricher builds (hidden visibility, version script, -z defs)" make -s -C "$sdk/examples/c/enricher-usage" OUT="$PWD/$out"
check "C example batch preparer builds (hidden visibility, version script, -z defs)" make -s -C "$sdk/examples/c/batch-max-tokens" OUT="$PWD/$out"
check "template builds with the same flags" gcc -D_GNU_SOURCE -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -I "$sdk/include" -shared -Wl,-z,defs "-Wl,--version-script=$sdk/template/plugin.version" -o "$out/libtemplate.so" "$sdk/template/plugin-template.c"
exports_only_entry() {
    local exported
    exported=$(nm -D --defined-only "$1" | awk '$2 ~ /^[A-Z]$/ {print $3}')
    echo "exported: $exported"
    [[ "$exported" == "sy_plugin_entry" ]]
}
check "C example exports only sy_plugin_entry" exports_only_entry "$out/libprovider_static.so"
check "C example guardrail exports only sy_plugin_entry" exports_only_entry "$out/libguardrail_deny.so"
check "C example enricher exports only sy_plugin_entry" exports_only_entry "$out/libenricher_usage.so"
check "C example batch preparer exports only sy_plugin_entry" exports_only_entry "$out/libbatch_max_tokens.so"
check "template exports only sy_plugin_entry" exports_only_entry "$out/libtemplate.so"
if [[ -f .build/debug/libProviderEcho.so ]]; then
    swift_plugins=(ProviderEcho ProviderOpenAI ProviderAnthropic ProviderGemini GuardrailBlocklist GuardrailSizeLimits GuardrailSystemPrompt GuardrailPII GuardrailLLMJudge EnricherOpenAI EnricherAnthropic EnricherGemini BatchModels)
    check "Swift plugins export only sy_plugin_entry" bash -c "$(declare -f exports_only_entry); for p in ${swift_plugins[*]}; do exports_only_entry .build/debug/lib\$p.so || exit 1; done"
fi

echo "== compatibility matrix (scripts/check-abi-matrix.sh)"
scripts/check-abi-matrix.sh || failures=$((failures + 1))

echo "$((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
