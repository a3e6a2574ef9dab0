#!/bin/bash
# tests/serve/run.sh -- `pyedge up` end to end: real HTTP against served apps
# (tests/serve/apps/*, examples/hello, examples/geo-router).
#
# The work is done by tests/serve/drive.py (host python3, stdlib only): it
# starts `build/pyedge up` on 127.0.0.1 (free ports), sends requests with
# http.client and raw sockets, and stops every server it started. Prints
# "PASS name" / "FAIL name: why" per case and ends with "N passed, M failed";
# exits 1 if anything failed.
#
# Usage: tests/serve/run.sh [-v] [--list] [-k NAME]...
#   -k NAME  the case named NAME, or, when none is, the cases whose name
#            contains NAME; with * or ?, a glob (tests/lib/selection.py).
#            Matching nothing is a failure. --list prints the case names.
# Environment: PYEDGE (default build/pyedge), PYEDGE_TEST_TIMEOUT (seconds for
# the whole suite, default 170).
set -u
cd "$(dirname "$0")/../.." || exit 1
TIMEOUT=${PYEDGE_TEST_TIMEOUT:-170}

if ! command -v python3 >/dev/null; then
    echo "FAIL setup: python3 not found"
    echo "0 passed, 1 failed"
    exit 1
fi
# SIGTERM first: the driver then stops its servers itself
timeout --kill-after=10 "$TIMEOUT" python3 -u tests/serve/drive.py "$@"
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "FAIL suite: did not finish within $TIMEOUT s"
    echo "0 passed, 1 failed"
fi
exit $rc
