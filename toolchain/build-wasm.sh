#!/bin/bash
# toolchain/build-wasm.sh SRC BUILD_PYTHON SDK ZLIB OUT -- cross-build CPython for
# wasm32-wasi (WASI preview 1) in OUT, out of tree, the way CPython's
# Tools/wasm/wasi.py does, but with the Debian-made SDK (wasi-sdk.sh):
#
#   CONFIG_SITE=Tools/wasm/config.site-wasm32-wasi  configure --host=wasm32-wasip1
#       --with-build-python=BUILD_PYTHON --disable-test-modules
#
# OUT keeps the build tree: libpython3.13.a, the module objects, pyconfig.h and
# the Makefile are what link-guest.sh links our guest module against. OUT also
# gets python.stripped.wasm, CPython's own command-style python.wasm without
# debug info (handy for comparisons). All stdlib modules are built in (WASI
# has no dynamic loading); zlib comes from ZLIB (build-zlib.sh).
# HOSTRUNNER: see no-hostrunner.sh -- nothing in configure or `make all` runs wasm.
. "$(dirname "$0")/lib.sh"
SRC=$1 BUILD_PYTHON=$2 SDK=$3 ZLIB=$4 OUT=$5

cd "$OUT"
export PATH=$SDK/bin:$PATH      # the no-op wasm-opt first
export CC=$SDK/bin/clang CPP=$SDK/bin/clang-cpp CXX=$SDK/bin/clang++ \
       AR=$SDK/bin/llvm-ar RANLIB=$SDK/bin/ranlib
export PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$ZLIB/lib/pkgconfig
export ZLIB_CFLAGS="-I$ZLIB/include" ZLIB_LIBS="-L$ZLIB/lib -lz"
export CONFIG_SITE=$SRC/Tools/wasm/config.site-wasm32-wasi
# A copy, so that no path of this checkout ends up in the cached build
# (configure records HOSTRUNNER in the Makefile and in sysconfig).
cp "$TOOLCHAIN_DIR/no-hostrunner.sh" "$OUT/no-hostrunner.sh"
export HOSTRUNNER=$OUT/no-hostrunner.sh
# Reproducible: the build date in sys.version is the source's release date.
SOURCE_DATE_EPOCH=$(stat -c %Y "$SRC/configure")
export SOURCE_DATE_EPOCH

pe_step "CPython $PY_VERSION for wasm32-wasi: configure" "~45 s" "$OUT/configure.log" \
    "$SRC/configure" --host=wasm32-wasip1 --build="$("$SRC/config.guess")" \
        --with-build-python="$BUILD_PYTHON" --disable-test-modules
grep -q 'wasm32-unknown-wasip1/clang has tier 2' "$OUT/configure.log" \
    || pe_say "note: configure did not report PEP 11 tier 2 for wasm32-wasip1 (see $OUT/configure.log)"
pe_step "CPython $PY_VERSION for wasm32-wasi: make -j$PYEDGE_JOBS" "~1-2 min with 2 cores" "$OUT/make.log" \
    make -j"$PYEDGE_JOBS" all
[ -f "$OUT/python.wasm" ] && [ -f "$OUT/libpython${PY_VERSION%.*}.a" ] \
    || pe_die "the wasm build produced no python.wasm / libpython (see $OUT/make.log)"
"$SDK/bin/llvm-strip" --strip-debug -o "$OUT/python.stripped.wasm" "$OUT/python.wasm"
