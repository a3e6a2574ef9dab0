#!/bin/bash
# tests/unit/run.sh -- the cmocka unit tests: every build/tests/test_* binary
# (--asan: build/tests-asan/test_*, built by `make unit`), one after another.
#
# Prints "-- BINARY" and the binary's cmocka output, and ends with
# "N passed, M failed", added up from cmocka's "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" lines. A binary that exits non-zero without
# reporting a failed test (a crash) counts as one failure.
#
# Usage: tests/unit/run.sh [--asan] [--list] [-k SELECTOR]...
#   -k BINARY        every test of the binaries named BINARY (test_kv)
#   -k BINARY:TEST   the tests named TEST in those binaries (test_kv:test_utf8)
#   -k :TEST         the tests named TEST in every binary
#   -k NAME          the binaries named NAME if there are any, else :NAME
#   BINARY and TEST match like -k everywhere (tests/lib/select.sh): with * or
#   ?, a glob over the whole name; else the exact name, or, when nothing has
#   that name, every name that contains it. -k is repeatable; matching nothing
#   is a failure.
#   --list           prints BINARY:TEST for every test and runs nothing
# A binary runs its selected tests through PE_TEST_FILTER (tests/unit/pe_test.h).
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
cd "$(dirname "$0")/../.." || exit 1

dir=build/tests
list=0
sels=()
while [ $# -gt 0 ]; do
    case $1 in
        --asan) dir=build/tests-asan; shift ;;
        --list) list=1; shift ;;
        -k)
            if [ $# -lt 2 ] || [ -z "$2" ]; then echo "-k wants a selector" >&2; exit 2; fi
            sels+=("$2"); shift 2 ;;
        *) echo "usage: tests/unit/run.sh [--asan] [--list] [-k BINARY[:TEST] | -k :TEST]..." >&2; exit 2 ;;
    esac
done
if [ "$dir" = build/tests-asan ]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:handle_segv=0:allow_user_segv_handler=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

bins=()
for t in "$dir"/test_*; do
    [ -x "$t" ] && [ -f "$t" ] && bins+=("${t##*/}")
done
if [ ${#bins[@]} -eq 0 ]; then
    echo "FAIL setup: no test binaries in $dir (make unit)"
    echo "0 passed, 1 failed"
    exit 1
fi

# Each run is "BINARY<TAB>FILTER" (FILTER empty: all its tests).
runs=()
if [ ${#sels[@]} -eq 0 ] && [ $list -eq 0 ]; then
    for b in "${bins[@]}"; do runs+=("$b"$'\t'); done
else
    declare -A names # binary -> its test names, one a line
    for b in "${bins[@]}"; do names[$b]=$(PE_TEST_LIST=1 "$dir/$b" 2>/dev/null); done
    if [ $list -eq 1 ]; then
        for b in "${bins[@]}"; do
            [ -n "${names[$b]}" ] && sed "s/^/$b:/" <<<"${names[$b]}"
        done
        exit 0
    fi
    for sel in "${sels[@]}"; do
        bp="" tp=""
        if [[ $sel == *:* ]]; then
            bp=${sel%%:*} tp=${sel#*:}
        else
            g=$(select_glob "$sel" "${bins[@]}")
            for b in "${bins[@]}"; do
                # shellcheck disable=SC2053 # $g is a pattern
                [[ $b == $g ]] && bp=$sel && break
            done
            [ -z "$bp" ] && tp=$sel
        fi
        chosen=()
        if [ -n "$bp" ]; then
            g=$(select_glob "$bp" "${bins[@]}")
            # shellcheck disable=SC2053
            for b in "${bins[@]}"; do [[ $b == $g ]] && chosen+=("$b"); done
        else
            chosen=("${bins[@]}")
        fi
        if [ -z "$tp" ]; then
            for b in "${chosen[@]}"; do runs+=("$b"$'\t'); done
            continue
        fi
        all=()
        for b in "${chosen[@]}"; do [ -n "${names[$b]}" ] && mapfile -t -O ${#all[@]} all <<<"${names[$b]}"; done
        g=$(select_glob "$tp" "${all[@]}")
        # the same selection for cmocka's filter (* and ? are its wildcards)
        if [[ $tp == *[*?]* ]]; then
            filter=$tp
        elif [[ $g == \** ]]; then
            filter="*$tp*" # no test is named $tp: the names containing it
        else
            filter=$tp
        fi
        for b in "${chosen[@]}"; do
            while IFS= read -r n; do
                # shellcheck disable=SC2053
                if [[ $n == $g ]]; then runs+=("$b"$'\t'"$filter"); break; fi
            done <<<"${names[$b]}"
        done
    done
    if [ ${#runs[@]} -eq 0 ]; then
        # shellcheck disable=SC2034 # select_describe reads it
        SELECT_PATTERNS=("${sels[@]}")
        echo "FAIL -k $(select_describe): no test matches (--list shows them)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

passed=0 failed=0
out=$(mktemp "${TMPDIR:-/tmp}/pyedge-unit.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
declare -A done_runs
for r in "${runs[@]}"; do
    [ -n "${done_runs[$r]:-}" ] && continue
    done_runs[$r]=1
    b=${r%%$'\t'*} filter=${r#*$'\t'}
    if [ -n "$filter" ]; then
        echo "-- $dir/$b (PE_TEST_FILTER='$filter')"
    else
        echo "-- $dir/$b"
    fi
    PE_TEST_FILTER=$filter "$dir/$b" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$out" | awk '{s+=$4} END {print s+0}')
    f=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $b: exited $rc without reporting a failed test"
        f=1
    elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $b: ran no test"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
