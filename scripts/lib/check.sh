# Sourced by the check scripts (check-abi.sh, check-abi-matrix.sh): `check DESCRIPTION COMMAND...`
# runs the command, prints "ok" or "FAIL" with its output indented, and counts both in `checks`
# and `failures`. The caller sets `out` (a folder for the last command's log) first.
checks=0
failures=0

check() {  # description, command...
    local description=$1; shift
    checks=$((checks + 1))
    if "$@" >"$out/last.log" 2>&1; then
        echo "  ok    $description"
    else
        echo "  FAIL  $description"; sed 's/^/        /' "$out/last.log"
        failures=$((failures + 1))
    fi
}
