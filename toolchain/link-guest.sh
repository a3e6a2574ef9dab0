#!/bin/bash
# toolchain/link-guest.sh WASM_BUILD SDK GUEST_SRC OUT -- compile guest/*.c with the
# wasm32-wasi clang and link OUT/pyedge-python.wasm against the cross-built
# libpython in WASM_BUILD, using CPython's Makefile variables (guest/pyedge.mk).
#   OUT/pyedge-python.debug.wasm   as linked, with DWARF
#   OUT/pyedge-python.wasm         llvm-strip --strip-debug (the name section stays)
#   OUT/exports.txt                its imports and exports (wasm-objdump)
# Fails when an export or import of the documented ABI (guest/pyedge_guest.h)
# is missing or unexpected.
. "$(dirname "$0")/lib.sh"
WASM=$1 SDK=$2 GUEST_SRC=$3 OUT=$4

export PATH=$SDK/bin:$PATH      # the no-op wasm-opt first
pe_step "linking pyedge-python.wasm (guest/)" "" "$OUT/link.log" \
    make -C "$WASM" -f Makefile -f "$GUEST_SRC/pyedge.mk" \
        PYEDGE_GUEST="$GUEST_SRC" PYEDGE_OUT="$OUT" "$OUT/pyedge-python.debug.wasm"
"$SDK/bin/llvm-strip" --strip-debug -o "$OUT/pyedge-python.wasm" "$OUT/pyedge-python.debug.wasm"

{ wasm-objdump -x -j Import "$OUT/pyedge-python.wasm"; wasm-objdump -x -j Export "$OUT/pyedge-python.wasm"; } \
    | grep '^ *-\|^[A-Z][a-z]*\[' > "$OUT/exports.txt"
exports=$(sed -n 's/^ - \(func\|memory\)\[[0-9]*\] .*-> "\([^"]*\)"$/\2/p' "$OUT/exports.txt" | sort | tr '\n' ' ')
want="_initialize memory pyedge_alloc pyedge_call pyedge_command pyedge_free pyedge_init pyedge_result_len pyedge_result_ptr "
[ "$exports" = "$want" ] || pe_die "pyedge-python.wasm exports '$exports', expected '$want' (see $OUT/exports.txt)"
imports=$(sed -n 's/^ - func\[[0-9]*\] .*<- \([^.]*\)\.\([^ ]*\)$/\1.\2/p' "$OUT/exports.txt" | { grep -v '^wasi_snapshot_preview1\.' || true; } | sort | tr '\n' ' ')
[ "$imports" = "pyedge.call pyedge.log pyedge.reply pyedge.version " ] \
    || pe_die "pyedge-python.wasm imports '$imports' besides WASI, expected 'pyedge.call pyedge.log pyedge.reply pyedge.version' (see $OUT/exports.txt)"
