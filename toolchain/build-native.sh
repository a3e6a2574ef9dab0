#!/bin/bash
# toolchain/build-native.sh SRC OUT -- native CPython from the same source as the
# wasm build, installed with prefix OUT (OUT/bin/python3.13).
#
# Two uses: the "build python" that a CPython cross build requires (same
# version; it runs the freezing, sysconfig and .pyc steps of the wasm build),
# and the reference interpreter for benchmarks. Plain `configure` (-O3, no PGO/
# LTO: those would triple the build time), no test modules (Lib/test is not
# installed; the regression tests run from the source tree); out-of-tree in OUT/build, which is
# removed after the install.
. "$(dirname "$0")/lib.sh"
SRC=$1 OUT=$2

B=$OUT/build
mkdir -p "$B"
cd "$B"
pe_step "native CPython $PY_VERSION: configure" "~30 s" "$OUT/configure.log" \
    "$SRC/configure" --prefix="$OUT" --without-ensurepip --disable-test-modules
pe_step "native CPython $PY_VERSION: make -j$PYEDGE_JOBS" "~2 min with 2 cores" "$OUT/make.log" \
    make -j"$PYEDGE_JOBS"
pe_step "native CPython $PY_VERSION: make install" "~1 min" "$OUT/install.log" \
    make install
cd "$OUT"
rm -rf "$B"
"$OUT/bin/python3.13" -c 'import sys, zlib, json, decimal, hashlib; assert sys.version_info[:3] == tuple(map(int, sys.argv[1].split(".")))' "$PY_VERSION" \
    || pe_die "the native build of $PY_VERSION does not run"
