#!/bin/bash
# toolchain/python.sh OUT -- build (or take from the cache) CPython for WASI and
# our guest module, and point OUT (normally build/python) at the result:
#
#   OUT/pyedge-python.wasm       our guest module (guest/), reactor, no debug info
#   OUT/lib/python313.zip        stdlib, sourceless .pyc      } mount OUT/lib as
#   OUT/lib/python3.13/...       lib-dynload (empty)          } <prefix>/lib
#   OUT/native/bin/python3.13    native build of the same source (reference)
#   OUT/src/test                 the source's Lib/test (CPython's regression tests),
#                                with .pyc; mount OUT/src and put it on PYTHONPATH
#   OUT/python.wasm              CPython's own python.wasm (command), stripped
#
# Steps, each cached by content under $PYEDGE_CACHE (see lib.sh for the layout):
#   fetch.sh         pinned tarballs and wasi-libc .deb from trixie (private apt)
#   build-native.sh  native CPython (the cross build's "build python")   ~3 min
#   wasi-sdk.sh      clang-19 wrappers + trixie wasi-libc sysroot        ~1 s
#   build-zlib.sh    static zlib for wasm32-wasi                         ~10 s
#   build-wasm.sh    CPython cross build for wasm32-wasi                 ~2 min
#   stdlib-zip.sh    compile the stdlib to .pyc, zip them                ~20 s
#   link-guest.sh    compile guest/ and link pyedge-python.wasm          ~5 s
# With everything cached this only hashes the inputs and relinks OUT.
. "$(dirname "$0")/lib.sh"
OUT=${1:?usage: python.sh OUTDIR}
T=$TOOLCHAIN_DIR
t_start=$SECONDS

"$T/deps.sh" python

clang_v=$(pe_clang_version)
gcc_v=$(pe_gcc_version)
common=("$T/lib.sh" "$T/versions.sh")

# --- keys -----------------------------------------------------------------------
k_src=${PY_ORIG_SHA256:0:16}
k_native=$(pe_key native "$k_src" "$gcc_v" "${common[@]}" "$T/build-native.sh")
k_sdk=$(pe_key sdk "$clang_v" "${common[@]}" "$T/wasi-sdk.sh")
k_zlib=$(pe_key zlib "$k_sdk" "${common[@]}" "$T/build-zlib.sh")
k_wasm=$(pe_key wasm "$k_src" "$k_native" "$k_sdk" "$k_zlib" "${common[@]}" "$T/build-wasm.sh" "$T/no-hostrunner.sh")
k_stdlib=$(pe_key stdlib "$k_wasm" "${common[@]}" "$T/stdlib-zip.sh")
guest_files=()
while IFS= read -r f; do guest_files+=("$f"); done < <(cd "$PYEDGE_ROOT" && find guest -type f | LC_ALL=C sort)
guest_parts=()
for f in "${guest_files[@]}"; do guest_parts+=("name $f" "$PYEDGE_ROOT/$f"); done
k_guest=$(pe_key guest "$k_wasm" "${common[@]}" "$T/link-guest.sh" "${guest_parts[@]}")
k_tests=$(pe_key tests "$k_src" "$k_native" "$T/python.sh")
k_final=$(pe_key python "$k_native" "$k_stdlib" "$k_guest" "$k_tests" "$T/python.sh")

SRC_ROOT=$PYEDGE_CACHE/src/python-$k_src
SRC=$SRC_ROOT/$PY_SRC_DIR
NATIVE=$PYEDGE_CACHE/native/$k_native
SDK=$PYEDGE_CACHE/sdk/$k_sdk
ZLIB=$PYEDGE_CACHE/zlib/$k_zlib
WASM=$PYEDGE_CACHE/wasm/$k_wasm
STDLIB=$PYEDGE_CACHE/stdlib/$k_stdlib
GUEST=$PYEDGE_CACHE/guest/$k_guest
TESTS=$PYEDGE_CACHE/tests/$k_tests
FINAL=$PYEDGE_CACHE/python/$k_final

link_out() {
    mkdir -p "$(dirname "$OUT")"
    if [ -d "$OUT" ] && [ ! -L "$OUT" ]; then rm -rf "$OUT"; fi
    ln -sfn "$FINAL" "$OUT"
}

# Serialise concurrent builds sharing the cache.
mkdir -p "$PYEDGE_CACHE"
exec 9>"$PYEDGE_CACHE/.lock"
if ! flock -n 9; then
    pe_say "waiting for another build using $PYEDGE_CACHE ..."
    flock 9
fi

if pe_done "$FINAL" && [ -f "$FINAL/pyedge-python.wasm" ] && [ -f "$FINAL/lib/python313.zip" ] \
   && [ -x "$FINAL/native/bin/python3.13" ] && [ -d "$FINAL/src/test" ]; then
    link_out
    exit 0
fi

"$T/fetch.sh"

# --- CPython source --------------------------------------------------------------
if ! pe_done "$SRC_ROOT"; then
    pe_fresh_dir "$SRC_ROOT"
    pe_step "extracting $PY_ORIG_TARBALL" "" "$SRC_ROOT/extract.log" \
        tar -C "$SRC_ROOT" -xf "$PYEDGE_CACHE/dl/$PY_ORIG_TARBALL"
    [ -f "$SRC/configure" ] || pe_die "$PY_ORIG_TARBALL has no $PY_SRC_DIR/configure"
    pe_mark_done "$SRC_ROOT"
fi

# --- native CPython -------------------------------------------------------------
if ! pe_done "$NATIVE"; then
    pe_fresh_dir "$NATIVE"
    "$T/build-native.sh" "$SRC" "$NATIVE"
    pe_mark_done "$NATIVE"
fi

# --- WASI SDK (Debian clang-19 + trixie wasi-libc) ---------------------------------
if ! pe_done "$SDK"; then
    pe_fresh_dir "$SDK"
    deb=
    while read -r v s; do
        [ -n "$v" ] || continue
        f=$PYEDGE_CACHE/dl/${WASI_LIBC_PACKAGE}_${v}_all.deb
        if [ -f "$f" ] && [ "$(pe_sha256 "$f")" = "$s" ]; then deb=$f; break; fi
    done <<< "$WASI_LIBC_ACCEPTED"
    [ -n "$deb" ] || pe_die "no accepted $WASI_LIBC_PACKAGE .deb in $PYEDGE_CACHE/dl"
    pe_say "WASI SDK from clang-19 and $(basename "$deb")"
    "$T/wasi-sdk.sh" "$deb" "$SDK"
    pe_mark_done "$SDK"
fi

# --- zlib for wasm32-wasi ---------------------------------------------------------
if ! pe_done "$ZLIB"; then
    pe_fresh_dir "$ZLIB"
    "$T/build-zlib.sh" "$PYEDGE_CACHE/dl/$ZLIB_ORIG_TARBALL" "$SDK" "$ZLIB"
    pe_mark_done "$ZLIB"
fi

# --- CPython for wasm32-wasi ------------------------------------------------------
if ! pe_done "$WASM"; then
    pe_fresh_dir "$WASM"
    "$T/build-wasm.sh" "$SRC" "$NATIVE/bin/python3.13" "$SDK" "$ZLIB" "$WASM"
    pe_mark_done "$WASM"
fi

# --- stdlib zip -------------------------------------------------------------------
if ! pe_done "$STDLIB"; then
    pe_fresh_dir "$STDLIB"
    "$T/stdlib-zip.sh" "$SRC" "$WASM" "$NATIVE/bin/python3.13" "$STDLIB"
    pe_mark_done "$STDLIB"
fi

# --- our guest module -------------------------------------------------------------
if ! pe_done "$GUEST"; then
    pe_fresh_dir "$GUEST"
    "$T/link-guest.sh" "$WASM" "$SDK" "$PYEDGE_ROOT/guest" "$GUEST"
    pe_mark_done "$GUEST"
fi

# --- CPython's regression tests ------------------------------------------------------
# A directory holding test/ (a hard-linked copy of Lib/test, so that it can be
# mounted in a sandbox without symlinks pointing out of it), with .pyc made
# by the native build of the same version, so the sandbox need not compile it.
if ! pe_done "$TESTS"; then
    pe_fresh_dir "$TESTS"
    cp -al "$SRC/Lib/test" "$TESTS/test" 2>/dev/null || cp -a "$SRC/Lib/test" "$TESTS/test"
    pe_step "compiling CPython's Lib/test to .pyc" "~30 s" "$TESTS/compileall.log" \
        "$NATIVE/bin/python3.13" -I -m compileall -q -j "$PYEDGE_JOBS" -x 'bad_coding|badsyntax' "$TESTS/test"
    pe_mark_done "$TESTS"
fi

# --- assemble ---------------------------------------------------------------------
pe_fresh_dir "$FINAL"
ln -s "$GUEST/pyedge-python.wasm" "$FINAL/pyedge-python.wasm"
ln -s "$WASM/python.stripped.wasm" "$FINAL/python.wasm"
ln -s "$STDLIB/lib" "$FINAL/lib"
ln -s "$NATIVE" "$FINAL/native"
ln -s "$TESTS" "$FINAL/src"
cat > "$FINAL/BUILDINFO" <<EOF
CPython $PY_VERSION ($PY_ORIG_TARBALL sha256 $PY_ORIG_SHA256)
compiler: $clang_v
keys: native=$k_native sdk=$k_sdk zlib=$k_zlib wasm=$k_wasm stdlib=$k_stdlib guest=$k_guest
EOF
pe_mark_done "$FINAL"
link_out
pe_say "build/python ready in $(pe_fmt_time $((SECONDS - t_start))): $(du -shL "$FINAL/pyedge-python.wasm" | cut -f1) pyedge-python.wasm, $(du -shL "$FINAL/lib/python313.zip" | cut -f1) python313.zip"
