#!/bin/bash
# tests/style/run.sh -- the shape of the code, checked: includes follow the
# layer order (layers.py). Prints PASS/FAIL lines and "N passed, M failed".
# Usage: tests/style/run.sh [-k NAME]   (a source path, or layers_self_test)
set -u
cd "$(dirname "$0")/../.."
exec python3 tests/style/layers.py "$@"
