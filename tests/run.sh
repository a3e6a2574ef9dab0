#!/bin/bash
# tests/run.sh -- runs every test suite and prints one summary line:
#   N passed, M failed
#
# Each suite prints its own PASS/FAIL lines and a closing "N passed, M failed"
# (cmocka binaries print "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"),
# which are added up here. A suite that crashes or prints no count counts as
# one failure, so a broken runner can never pass silently.
#
# Usage: tests/run.sh [SUITE...] [-k NAME]...
#   suites: style format toolchain unit unit-asan cli wasi sandbox cpython sdk
#           serve new build platform fuzz san soak
#   (style: includes follow the layer order; format: the C layout of
#   .clang-format, which `make format` applies)
#   -k NAME (repeatable; or T=NAME in the environment) runs only the tests NAME
#           selects in each named suite, and shows their output: the test
#           named NAME, else those whose name contains NAME; with * or ?, a glob
#           over the whole name. Unit suites take BINARY, BINARY:TEST or :TEST
#           (tests/unit/run.sh). A suite where NAME matches nothing fails.
#           fuzz, san and soak do not select by name.
#   make test-one SUITE=unit T=test_kv:test_utf8 is tests/run.sh unit -k ...
set -u
cd "$(dirname "$0")/.."
LOG_DIR=build/test-logs
mkdir -p "$LOG_DIR"

total_pass=0
total_fail=0
declare -a summary

add_counts() { # suite logfile rc
    local suite=$1 log=$2 rc=$3 p f line
    line=$(grep -E '^(\w+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(sed -E 's/^(\w+: )?([0-9]+) passed.*/\2/' <<<"$line")
        f=$(sed -E 's/^(\w+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
    else
        p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
        f=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or failed without saying which test
        echo "FAIL $suite: exited $rc without reporting a failed test (log: $log)"
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "FAIL $suite: ran no test (log: $log)"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    summary+=("$(printf '%-10s %5d passed, %d failed  (%ds)' "$suite" "$p" "$f" "$SECONDS_SUITE")")
}

run_suite() { # name command...
    local name=$1
    shift
    local log=$LOG_DIR/$name.log start=$SECONDS
    echo "== $name"
    if [ ${#sel[@]} -gt 0 ]; then
        "$@" "${sel[@]}" 2>&1 | tee "$log"
        local rc=${PIPESTATUS[0]}
    else
        "$@" >"$log" 2>&1
        local rc=$?
    fi
    SECONDS_SUITE=$((SECONDS - start))
    [ ${#sel[@]} -gt 0 ] || grep -E '^(FAIL|\[  FAILED  \]|\[  ERROR   \])' "$log" | head -n 40
    add_counts "$name" "$log" "$rc"
}

suites=()
sel=() # -k NAME... as the suites take it
while [ $# -gt 0 ]; do
    case $1 in
        -k)
            if [ $# -lt 2 ] || [ -z "$2" ]; then echo "-k wants a test name or pattern" >&2; exit 2; fi
            sel+=(-k "$2"); shift 2 ;;
        *) suites+=("$1"); shift ;;
    esac
done
[ -n "${T:-}" ] && sel+=(-k "$T")
if [ ${#sel[@]} -gt 0 ] && [ ${#suites[@]} -eq 0 ]; then
    echo "-k (or T) needs the suite to look in: tests/run.sh SUITE -k NAME"
    echo "0 passed, 1 failed"
    exit 1
fi
[ ${#suites[@]} -eq 0 ] && suites=(style format toolchain unit unit-asan cli wasi sandbox cpython sdk serve new build platform fuzz san soak)

for s in "${suites[@]}"; do
    case $s in
        style) run_suite style tests/style/run.sh ;;
        format) run_suite format tests/style/format.sh ;;
        toolchain) run_suite toolchain tests/toolchain/fetch_test.sh ;;
        unit) run_suite unit tests/unit/run.sh ;;
        unit-asan) run_suite unit-asan tests/unit/run.sh --asan ;;
        cli) run_suite cli tests/cli/run.sh ;;
        wasi) run_suite wasi python3 tests/wasi/run_testsuite.py ;;
        sandbox) run_suite sandbox tests/sandbox/run.sh ;;
        cpython) run_suite cpython tests/cpython/run.sh ;;
        sdk) run_suite sdk tests/sdk/run.sh ;;
        serve) run_suite serve tests/serve/run.sh ;;
        platform) run_suite platform tests/platform/run.sh ;;
        build) run_suite build tests/serve/build.sh ;;
        new) run_suite new tests/cli/new.sh ;;
        fuzz | san | soak)
            if [ ${#sel[@]} -gt 0 ]; then
                echo "FAIL $s: the $s suite does not select tests by name (-k)"
                total_fail=$((total_fail + 1))
                continue
            fi
            case $s in
                fuzz) run_suite fuzz tests/fuzz/run.sh ;;
                san) run_suite san tests/san/run.sh ;;
                soak) run_suite soak tests/soak/run.sh ;;
            esac
            ;;
        *) echo "unknown suite $s"; total_fail=$((total_fail + 1)) ;;
    esac
done

echo
for line in "${summary[@]}"; do echo "  $line"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
