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
# Usage: tests/platform/run.sh [-k SUBSTRING] [FILE...]
set -u
cd "$(dirname "$0")/../.." || exit 1
TIMEOUT=${PYEDGE_TEST_TIMEOUT:-300}
args=()
files=()
while [ $# -gt 0 ]; do
    case $1 in
        -k) args+=("$1" "$2"); shift 2 ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -eq 0 ] && files=(tests/platform/test_*.py)
pass=0
fail=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue
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
