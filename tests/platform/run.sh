#!/bin/bash
# tests/platform/run.sh -- the platform services (outbound HTTP, key-value,
# SQLite, variables, JWT, geo, workers-style apps) against real backends.
#
# Runs every tests/platform/test_*.py (host python3). Each one starts the
# backends it needs (a loopback origin, redis-server, ...) and `pyedge up`
# through tests/serve/drive.py's Server class, prints "PASS name" /
# "FAIL name: why" lines and ends with "N passed, M failed". This script adds
# the counts up; a file that crashes or prints no count is one failure.
#
# Usage: tests/platform/run.sh [--list] [-k NAME]... [FILE...]
#   -k NAME  runs the case named NAME, or, when no case of the FILEs is, the
#            cases whose name contains NAME; with * or ?, a glob over the
#            whole name (repeatable; tests/lib/select.sh). Only the files
#            with a selected case run; matching nothing is a failure.
#   --list   prints the case names of the FILEs and runs nothing.
set -u
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
cd "$(dirname "$0")/../.." || exit 1
TIMEOUT=${PYEDGE_TEST_TIMEOUT:-300}
files=()
list=0
while [ $# -gt 0 ]; do
    case $1 in
        -k)
            if [ $# -lt 2 ] || [ -z "$2" ]; then echo "-k wants a test name or pattern" >&2; exit 2; fi
            SELECT_PATTERNS+=("$2"); shift 2 ;;
        --list) list=1; shift ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -eq 0 ] && files=(tests/platform/test_*.py)

# With -k or --list: each file's case names; a file runs with the patterns
# that select one of its cases (resolved over the cases of all the files).
declare -A fargs=()
if [ ${#SELECT_PATTERNS[@]} -gt 0 ] || [ $list -eq 1 ]; then
    declare -A fnames=()
    all=()
    for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        fnames[$f]=$(python3 "$f" --list 2>/dev/null)
        [ -n "${fnames[$f]}" ] && mapfile -t -O ${#all[@]} all <<<"${fnames[$f]}"
    done
    if [ $list -eq 1 ]; then
        printf '%s\n' "${all[@]}"
        exit 0
    fi
    for p in "${SELECT_PATTERNS[@]}"; do
        g=$(select_glob "$p" "${all[@]}")
        for f in "${!fnames[@]}"; do
            while IFS= read -r n; do
                # shellcheck disable=SC2053 # $g is a pattern
                if [[ $n == $g ]]; then fargs[$f]+="${fargs[$f]:+$'\n'}$p"; break; fi
            done <<<"${fnames[$f]}"
        done
    done
    if [ ${#fargs[@]} -eq 0 ]; then
        echo "FAIL -k $(select_describe): no test matches (tests: ${#all[@]})"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
pass=0
fail=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    args=()
    if [ ${#SELECT_PATTERNS[@]} -gt 0 ]; then
        [ -n "${fargs[$f]:-}" ] || continue
        while IFS= read -r p; do args+=(-k "$p"); done <<<"${fargs[$f]}"
    fi
    echo "-- $f"
    out=$(timeout --kill-after=10 "$TIMEOUT" python3 -u "$f" "${args[@]}" 2>&1)
    rc=$?
    echo "$out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $f: exited $rc without a count"
        fail=$((fail + 1))
        continue
    fi
    p=${line%% passed*}
    f_=${line#*passed, }
    f_=${f_%% failed*}
    pass=$((pass + p))
    fail=$((fail + f_))
    if [ $rc -ne 0 ] && [ "$f_" -eq 0 ]; then
        echo "FAIL $f: exited $rc"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
