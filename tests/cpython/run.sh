#!/bin/bash
# tests/cpython/run.sh [-k NAME]... [--list] [TEST...] -- run a selection of CPython's own regression
# tests (Lib/test of the same 3.13.5 source) inside the pyedge sandbox:
#
#   build/pyedge python --ro-dir build/python/src::/cpython  (Lib/test, read-only)
#                       --dir <fresh temp dir>::/tmp         (the only writable place)
#                       --env PYTHONPATH=/cpython --env TMPDIR=/tmp
#                       -- -m test --tempdir /tmp/regrtest TEST
#
# One sandbox per test module, so that a crash or a hang counts against that
# module only. Prints "PASS <name>" or "FAIL <name>" per module and ends with
# "N passed, M failed"; exits 0 only when all passed. Logs:
# build/tests/cpython/<name>.log.
#
# The default selection runs without threads, sockets or subprocesses (which a
# WASI sandbox does not have); regrtest skips the cases inside them that need
# those, or the _test* C modules (built with --disable-test-modules).
# test_unicode of older CPythons is test_str in 3.13.
#
# -k NAME picks among the modules (the default ones or the TESTs) as every
# suite does: the module named NAME, else those whose name contains it; with *
# or ?, a glob (tests/lib/select.sh). --list prints the modules.
#
# Environment: PYEDGE (default build/pyedge), PYEDGE_TEST_TIMEOUT (seconds per
# module, default 900), PYEDGE_TEST_ARGS (extra regrtest arguments, e.g. -v).
set -uo pipefail
# shellcheck source=../lib/select.sh
. "$(dirname "$0")/../lib/select.sh"
select_args "$@"
set -- ${SELECT_REST[@]+"${SELECT_REST[@]}"}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYEDGE=${PYEDGE:-$ROOT/build/pyedge}
PYDIR=$ROOT/build/python
LOGDIR=$ROOT/build/tests/cpython
TIMEOUT=${PYEDGE_TEST_TIMEOUT:-900}

DEFAULT_TESTS=(
    test_json test_re test_str test_zipfile test_datetime test_decimal
    test_base64 test_struct test_math test_string test_textwrap test_binascii
    test_zlib test_bisect test_heapq test_fractions test_statistics test_csv
)
if [ $# -gt 0 ]; then tests=("$@"); else tests=("${DEFAULT_TESTS[@]}"); fi

if ! listing && [ ! -x "$PYEDGE" ]; then
    echo "tests/cpython: $PYEDGE is not built (make)" >&2
    exit 1
fi
if ! listing && [ ! -d "$PYDIR/src/test" ]; then
    echo "tests/cpython: $PYDIR/src/test is missing (make python)" >&2
    exit 1
fi
# The directory to mount, with symlinks resolved: the sandbox shows no
# symlink that points out of a mounted directory.
SRCDIR=$(readlink -f "$PYDIR/src")

# `python -m test`, but started in /tmp: a WASI process starts in "/", which
# the sandbox does not show, and regrtest changes back to its start directory
# at the end (FileNotFoundError: '/').
BOOT='import os; os.chdir("/tmp"); from test.libregrtest.main import main; main()'

mkdir -p "$LOGDIR"
passed=0 failed=0
for t in "${tests[@]}"; do
    begin "$t" || continue
    log=$LOGDIR/$t.log
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/pyedge-cpython-test.XXXXXX")
    start=$(date +%s%N)
    # In a subshell, so that a crash report ("Segmentation fault") goes to the log.
    # shellcheck disable=SC2086
    ("$PYEDGE" python \
        --ro-dir "$SRCDIR::/cpython" \
        --dir "$tmp::/tmp" \
        --env PYTHONPATH=/cpython \
        --env TMPDIR=/tmp \
        --env PYTHONDONTWRITEBYTECODE=1 \
        --timeout "$TIMEOUT" \
        -- -c "$BOOT" --tempdir /tmp/regrtest ${PYEDGE_TEST_ARGS:-} "$t"; exit $?) > "$log" 2>&1 < /dev/null
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    secs=$((ms / 1000)).$((ms % 1000 / 100))
    rm -rf "$tmp"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $t (${secs} s)"
    else
        failed=$((failed + 1))
        why="exit $rc"
        [ "$rc" -eq 124 ] && why="timeout after ${TIMEOUT} s"
        echo "FAIL $t ($why, ${secs} s, log: ${log#"$ROOT"/})"
    fi
done
select_end
[ "$failed" -eq 0 ]
