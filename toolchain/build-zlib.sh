#!/bin/bash
# toolchain/build-zlib.sh TARBALL SDK OUT -- static zlib for wasm32-wasi from
# Debian's zlib orig tarball: OUT/include/zlib.h, OUT/lib/libz.a,
# OUT/lib/pkgconfig/zlib.pc (and a man page). Built in OUT/build, removed afterwards.
. "$(dirname "$0")/lib.sh"
TARBALL=$1 SDK=$2 OUT=$3

B=$OUT/build
mkdir -p "$B"
tar -C "$B" -xf "$TARBALL"
cd "$B/$ZLIB_SRC_DIR"
export PATH=$SDK/bin:$PATH
pe_step "zlib $ZLIB_VERSION for wasm32-wasi" "~10 s" "$OUT/build.log" bash -c '
    set -e
    CC=clang AR=llvm-ar RANLIB=ranlib CFLAGS=-O2 CHOST=wasm32-wasi \
        ./configure --static --prefix="$1"
    make -j"$2" libz.a
    make install
' _ "$OUT" "$PYEDGE_JOBS"
cd "$OUT"
rm -rf "$B"
[ -f "$OUT/lib/libz.a" ] && [ -f "$OUT/include/zlib.h" ] || pe_die "zlib install incomplete in $OUT"
