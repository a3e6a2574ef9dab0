#!/bin/bash
# tests/sdk/run.sh -- the Python SDK (sdk/python: pyedge_entry, spin_sdk) tested
# inside the pyedge sandbox with unittest:
#
#   build/pyedge python --ro-dir sdk/python::/sdk --ro-dir tests/sdk::/tests
#                       --env PYTHONPATH=/sdk:/tests
#                       -- -X dev -m unittest discover -s /tests -v
#
# Prints unittest's output and ends with "N passed, M failed" computed from
# unittest's own summary ("Ran N tests", "OK" / "FAILED (failures=a, errors=b)");
# skipped tests count as neither. Exits 1 if anything failed, or if unittest
# crashed or reported nothing (then it counts as one failure).
#
# Usage: tests/sdk/run.sh [--host] [--list | -k NAME... | UNITTEST ARGS...]
#   --host   run with the host's python3 instead (a quick check; the sandbox
#            run is the real one)
#   -k NAME  runs the tests NAME names, as in every suite: a test's name is
#            its id (test_abi.MalformedRequests.test_x) or a dotted tail of
#            it (MalformedRequests.test_x, test_x); the tests with that exact
#            name, else those whose id contains NAME; with * or ?, a glob
#            (repeatable; tests/lib/unittest_select.py). Matching nothing
#            is a failure.
#   --list   prints every test's id and runs nothing
#   extra arguments replace "discover -s /tests -v", e.g.
#            tests/sdk/run.sh -v test_abi.MalformedRequests
# Environment: PYEDGE (default build/pyedge), PYEDGE_TEST_TIMEOUT (seconds,
# default 300).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PYEDGE=${PYEDGE:-$ROOT/build/pyedge}
TIMEOUT=${PYEDGE_TEST_TIMEOUT:-300}

host=0
if [ "${1:-}" = "--host" ]; then
    host=1
    shift
fi
pats=() list=0 rest=()
while [ $# -gt 0 ]; do
    case $1 in
        -k)
            if [ $# -lt 2 ] || [ -z "$2" ]; then echo "-k wants a test name or pattern" >&2; exit 2; fi
            pats+=("$2"); shift 2 ;;
        --list) list=1; shift ;;
        *) rest+=("$1"); shift ;;
    esac
done
selecting=0
if [ ${#pats[@]} -gt 0 ] || [ $list -eq 1 ]; then
    selecting=1
    if [ ${#rest[@]} -gt 0 ]; then
        echo "tests/sdk: -k and --list take no unittest arguments" >&2
        exit 2
    fi
fi

if [ $host -eq 1 ]; then
    tests_dir=$ROOT/tests/sdk
    path=$ROOT/sdk/python:$tests_dir
    [ $selecting -eq 1 ] && path+=:$ROOT/tests/lib
    cmd=(env PYTHONPATH="$path" PYTHONDONTWRITEBYTECODE=1
         timeout "$TIMEOUT" python3 -X dev)
else
    if [ ! -x "$PYEDGE" ]; then
        echo "tests/sdk: $PYEDGE is not built (make)" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    tests_dir=/tests
    cmd=("$PYEDGE" python --timeout "$TIMEOUT"
         --ro-dir "$ROOT/sdk/python::/sdk" --ro-dir "$ROOT/tests/sdk::/tests")
    if [ $selecting -eq 1 ]; then
        cmd+=(--ro-dir "$ROOT/tests/lib::/lib" --env PYTHONPATH=/sdk:/tests:/lib)
    else
        cmd+=(--env PYTHONPATH=/sdk:/tests)
    fi
    cmd+=(--env PYTHONDONTWRITEBYTECODE=1 -- -X dev)
fi
if [ $list -eq 1 ]; then
    "${cmd[@]}" -m unittest_select --list "$tests_dir"
    exit
elif [ ${#pats[@]} -gt 0 ]; then
    args=(-m unittest_select "$tests_dir" "${pats[@]}")
elif [ ${#rest[@]} -gt 0 ]; then
    args=(-m unittest "${rest[@]}")
    # test names are importable from the tests directory
    [ $host -eq 1 ] && cd "$tests_dir"
else
    args=(-m unittest discover -s "$tests_dir" -v)
fi

out=$(mktemp "${TMPDIR:-/tmp}/pyedge-sdk.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
"${cmd[@]}" "${args[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

if [ ${#pats[@]} -gt 0 ] && grep -q '^FAIL -k ' "$out"; then
    echo "0 passed, 1 failed"
    exit 1
fi
ran=$(grep -E '^Ran [0-9]+ tests? in ' "$out" | tail -n 1 | awk '{print $2}')
verdict=$(grep -E '^(OK|FAILED)( \(.*\))?$' "$out" | tail -n 1)
count() { # key
    sed -nE "s/.*[(, ]$1=([0-9]+).*/\1/p" <<<"$verdict" | head -n 1
}
if [ -z "$ran" ] || [ -z "$verdict" ]; then
    echo "tests/sdk: unittest did not report a result (exit status $rc)"
    echo "0 passed, 1 failed"
    exit 1
fi
failures=$(count failures); errors=$(count errors)
skipped=$(count skipped); unexpected=$(count 'unexpected successes')
failed=$(( ${failures:-0} + ${errors:-0} + ${unexpected:-0} ))
passed=$(( ran - failed - ${skipped:-0} ))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "tests/sdk: unittest exited $rc without reporting a failed test"
    failed=1
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "tests/sdk: no test ran"
    failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
