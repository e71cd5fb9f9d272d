#!/usr/bin/env bash
# Usage: check-layout.sh COMMITTED CURRENT
# Compares a freshly generated ABI layout (layout.c's output) with the committed pin. ABI 1.x
# may only grow: every committed field line must still be there unchanged (same offset, same
# size), struct sizes may only grow, and a new field of an existing struct must sit at or after
# that struct's old end. New structs are fine. A handle type passed by value (`sy_sink size=8`,
# a line with no `sizeof=`) is compared like a field: its size never changes. On failure, prints each problem and the diff.
set -euo pipefail
committed=$1 current=$2

problems=$(awk '
    function parse(line,   parts, i, kv) {
        split(line, parts, " ")
        name = parts[1]; offset = ""; size = ""; sizeof = ""
        for (i = 2; i in parts; i++) {
            split(parts[i], kv, "=")
            if (kv[1] == "offset") offset = kv[2]
            else if (kv[1] == "size") size = kv[2]
            else if (kv[1] == "sizeof") sizeof = kv[2]
        }
    }
    FNR == NR { parse($0)
        if (sizeof != "") old_sizeof[name] = sizeof + 0; else old_field[name] = $0
        next }
    { parse($0)
        if (sizeof != "") new_sizeof[name] = sizeof + 0; else new_field[name] = $0
        if (sizeof == "") { struct = name; sub(/\..*/, "", struct)
            if (!(name in old_field) && (struct in old_sizeof) && offset + 0 < old_sizeof[struct])
                printf "%s is new but inside the old %s (offset %s < %d): add fields at the end only\n", name, struct, offset, old_sizeof[struct] } }
    END {
        for (s in old_sizeof) {
            if (!(s in new_sizeof)) printf "struct %s was removed\n", s
            else if (new_sizeof[s] < old_sizeof[s]) printf "struct %s shrank from %d to %d bytes\n", s, old_sizeof[s], new_sizeof[s]
        }
        for (f in old_field) {
            if (!(f in new_field)) printf "field %s was removed or renamed\n", f
            else if (new_field[f] != old_field[f]) printf "field %s moved or changed size: \"%s\" is now \"%s\"\n", f, old_field[f], new_field[f]
        }
    }' "$committed" "$current" | sort)

if [[ -n "$problems" ]]; then
    echo "ABI layout is not compatible with $committed:"
    sed 's/^/  - /' <<<"$problems"
    echo "diff (committed -> current):"
    diff -u "$committed" "$current" | sed 's/^/    /' || true
    exit 1
fi
added=$(comm -13 <(sort "$committed") <(sort "$current") | wc -l)
echo "ABI layout compatible with $committed ($added lines added or grown)"
