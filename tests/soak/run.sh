#!/bin/bash
# tests/soak/run.sh -- the CI smoke of the soak: bench/soak/run.py for 60 s.
#
# Starts redis-server, a loopback origin and `pyedge up` on 127.0.0.1 (free
# ports), drives mixed load with failures of every kind (bench/soak/README.md)
# and checks: RSS (the smoke's looser rule), descriptors and threads steady,
# every acknowledged write present, one access-log line per response, log
# files bounded, a good answer at the end and exit status 0 on SIGTERM.
# Prints the soak's sample and PASS/FAIL lines and ends with
# "N passed, M failed"; exits 1 if anything failed. Its output directory
# (samples.csv, fds.log, access.log, stderr.log, the work directory) is
# removed when everything passed, and named otherwise.
#
# Usage: tests/soak/run.sh
# Environment: PYEDGE (default build/pyedge), PYEDGE_SOAK_SECONDS (default
# 60), PYEDGE_TEST_TIMEOUT (seconds for the whole run, default 240).
set -u
cd "$(dirname "$0")/../.." || exit 1
TIMEOUT=${PYEDGE_TEST_TIMEOUT:-240}
SECONDS_=${PYEDGE_SOAK_SECONDS:-60}

if ! command -v python3 >/dev/null; then
    echo "FAIL setup: python3 not found"
    echo "0 passed, 1 failed"
    exit 1
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/pyedge-soak-smoke-XXXXXX") || exit 1
# SIGTERM first: the soak then stops its servers itself
timeout --kill-after=10 "$TIMEOUT" python3 -u bench/soak/run.py --duration "$SECONDS_" --out "$out"
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "FAIL suite: did not finish within $TIMEOUT s"
    echo "0 passed, 1 failed"
fi
if [ $rc -eq 0 ]; then
    rm -rf "$out"
else
    echo "soak output kept in $out"
fi
exit $rc
